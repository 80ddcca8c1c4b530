/**
 * Which answers of a load step the scenario requires rather than suffers, read from the
 * scenario itself, before anything runs: L11 demands 503 from /health while PostgreSQL is
 * down and loads /health through the outage, so those 503s are its expected outcome. Live
 * views (progress lines, dashboard, the runner's log) use this to say "400 × 503 required"
 * instead of "400 failed". reports/outcomes.ts makes the same split afterwards from the
 * journal, with the fault's real times.
 */
import { toMs } from './duration.ts';
import type { Scenario } from './scenario-schema.ts';

/** Slack around a fault's planned window within which a load still counts as running during it. */
const WINDOW_SLACK_MS = 1000;

export interface RequiredOutcomes {
  /** Status codes as the load's outcome keys ("503"). */
  statuses: string[];
  /** The expectations that require them. */
  because: string[];
}

/**
 * Per load step: the non-2xx statuses a probe expectation requires (mode always or
 * eventually) during a fault, on the path the load sends to, when the whole load is planned
 * inside that fault's window. Steps without any are left out.
 */
export function requiredOutcomesOf(scenario: Scenario): Record<string, RequiredOutcomes> {
  const steps = new Map(scenario.timeline.steps.map((s) => [s.name, s]));
  const out: Record<string, RequiredOutcomes> = {};
  for (const step of scenario.timeline.steps) {
    const load = step.load;
    if (load?.driver !== 'http' || step.for === undefined) continue;
    const loadStart = toMs(step.at);
    const loadEnd = loadStart + toMs(step.for);
    for (const e of scenario.expect) {
      const during = e.kind === 'probe' ? e.window?.during : undefined;
      if (e.kind !== 'probe' || e.mode === 'never' || during === undefined) continue;
      const status = e.condition.status;
      if (status === undefined || (status >= 200 && status < 300)) continue;
      const probe = scenario.probes.find((p) => p.name === e.probe);
      if (probe?.kind !== 'http' || probe.path !== load.path) continue;
      const fault = steps.get(during);
      if (!fault?.fault) continue;
      const faultStart = toMs(fault.at);
      const faultEnd = fault.for === undefined ? Number.POSITIVE_INFINITY : faultStart + toMs(fault.for);
      if (loadStart < faultStart - WINDOW_SLACK_MS || loadEnd > faultEnd + WINDOW_SLACK_MS) continue;
      const entry = (out[step.name] ??= { statuses: [], because: [] });
      if (!entry.statuses.includes(String(status))) entry.statuses.push(String(status));
      entry.because.push(e.id ?? e.probe);
    }
  }
  return out;
}

/** How many of `errorsBy` (outcome key → count) a step's required statuses account for. */
export function requiredCount(errorsBy: Readonly<Record<string, number>> | undefined, required: RequiredOutcomes | undefined): number {
  if (!errorsBy || !required) return 0;
  return required.statuses.reduce((sum, status) => sum + (errorsBy[status] ?? 0), 0);
}

/** "400 × 503 required, 0 failed" or "3 failed": a load's non-2xx answers, the required ones apart. */
export function describeFailures(errors: number, errorsBy: Readonly<Record<string, number>> | undefined, required: RequiredOutcomes | undefined): string {
  const expected = requiredCount(errorsBy, required);
  if (expected === 0 || !required) return `${errors} failed`;
  const parts = required.statuses.filter((s) => (errorsBy?.[s] ?? 0) > 0).map((s) => `${errorsBy?.[s] ?? 0} × ${s} required`);
  return `${parts.join(', ')}, ${errors - expected} failed`;
}
