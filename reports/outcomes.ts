/**
 * Which answers of a load a scenario required rather than suffered. L11 demands 503 from
 * /health while PostgreSQL is down, and loads /health through the outage: those 503s are
 * the expected outcome, and a report that counts them as errors tells the wrong story.
 * Pure: reads the journal only (expectations that recorded their subject).
 */
import type { Journal, LoadRecord, ProbeRecord } from '../cli/core/journal.ts';
import { loadInsideFault, statusRequiredDuring } from '../cli/core/required-outcomes.ts';

/** A load's answers split into required outcomes and real errors. */
export interface LoadOutcomes {
  /** Responses with a status the scenario required while this load ran, by status. */
  required: Record<string, number>;
  requiredCount: number;
  /** Errors left once the required outcomes are taken out. */
  errors: number;
  /** The expectations that made those statuses required, by id. */
  because: string[];
}

/**
 * Statuses a probe expectation requires during a fault (mode always or eventually, an
 * HTTP status outside 2xx), on the same path of the target this load sends to (both records
 * carry the `targetPath` their drivers named), while the whole load ran inside that fault's window.
 */
export function loadOutcomes(journal: Pick<Journal, 'expectations' | 'faults' | 'probes'>, load: LoadRecord): LoadOutcomes {
  const required: Record<string, number> = {};
  const because: string[] = [];
  for (const expectation of journal.expectations) {
    const requirement = expectation.subject && statusRequiredDuring(expectation.subject);
    if (requirement === undefined) continue;
    const { status, during } = requirement;
    const probe = journal.probes.find((p) => p.name === requirement.probe);
    if (probe === undefined) continue;
    const loadPath = targetPathOf(load, probe);
    if (loadPath === undefined || targetPathOf(probe, probe) !== loadPath) continue;
    const fault = journal.faults.find((f) => f.step === during);
    if (!fault || fault.injectedMs === null) continue;
    const end = fault.revertedMs ?? Number.POSITIVE_INFINITY;
    if (!loadInsideFault(load.startedMs, load.endedMs, fault.injectedMs, end)) continue;
    const count = load.statusCounts[String(status)] ?? 0;
    if (count > 0 && required[String(status)] === undefined) {
      required[String(status)] = count;
      because.push(expectation.id);
    }
  }
  const requiredCount = Object.values(required).reduce((sum, n) => sum + n, 0);
  return { required, requiredCount, errors: Math.max(0, load.errors - requiredCount), because };
}

/**
 * The path on the target a load sends to or a probe reads a status from, as its driver named
 * it. A journal written before drivers named it (its probe records have no description) has
 * only the specs: there the path a spec holds counts, as it did then.
 */
function targetPathOf(record: LoadRecord | ProbeRecord, probe: ProbeRecord): string | undefined {
  if (probe.description !== undefined) return record.targetPath;
  return typeof record.spec.path === 'string' ? record.spec.path : undefined;
}

/** Totals over every load of a run: requests, required outcomes and real errors. */
export function runOutcomes(journal: Pick<Journal, 'expectations' | 'faults' | 'probes' | 'loads'>): { requests: number; required: number; errors: number } {
  let requests = 0;
  let required = 0;
  let errors = 0;
  for (const load of journal.loads) {
    const outcome = loadOutcomes(journal, load);
    requests += load.requests;
    required += outcome.requiredCount;
    errors += outcome.errors;
  }
  return { requests, required, errors };
}
