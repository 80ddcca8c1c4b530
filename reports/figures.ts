/**
 * The key figures of a scenario run, the same everywhere they appear: `run --json`, the
 * comparison table on each page and in `chaosctl compare`, and the trend chart.
 * Pure: a journal in, numbers out.
 */
import type { Journal } from '../cli/core/journal.ts';
import { runOutcomes } from './outcomes.ts';

export interface KeyFigures {
  /** Worst corrected p95 over the loads that time their replies; null when none does. */
  p95Ms: number | null;
  requests: number;
  /** Errors left once the outcomes the scenario required are taken out. */
  errors: number;
  /** Errors per request; null without requests. */
  errorRate: number | null;
  /** Answers the scenario required (L11's 503s), not counted as errors. */
  requiredOutcomes: number;
  /** From a fault's revert to the first sample that showed recovery; null when no expectation measures it. */
  recoverMs: number | null;
  expectationsPassed: number;
  expectationsTotal: number;
  durationMs: number;
}

/** Which way a figure gets worse; `none` for figures that only inform. */
export const FIGURE_WORSE: Record<keyof KeyFigures, 'up' | 'down' | 'none'> = {
  p95Ms: 'up',
  requests: 'none',
  errors: 'up',
  errorRate: 'up',
  requiredOutcomes: 'none',
  recoverMs: 'up',
  expectationsPassed: 'down',
  expectationsTotal: 'none',
  durationMs: 'none',
};

export function keyFigures(journal: Journal): KeyFigures {
  const timed = journal.loads.filter((l) => l.correctedLatency.count > 0);
  const p95Ms = timed.length === 0 ? null : Math.max(...timed.map((l) => l.correctedLatency.p95));
  const { requests, required, errors } = runOutcomes(journal);
  return {
    p95Ms,
    requests,
    errors,
    errorRate: requests === 0 ? null : errors / requests,
    requiredOutcomes: required,
    recoverMs: recoverMs(journal),
    expectationsPassed: journal.expectations.filter((e) => e.passed).length,
    expectationsTotal: journal.expectations.length,
    durationMs: journal.durationMs,
  };
}

/**
 * Time to recover: for each expectation that waits for something after a fault was
 * reverted (mode eventually, window after the fault), the time from the revert to its
 * first matching sample; the longest of them.
 */
function recoverMs(journal: Journal): number | null {
  let worst: number | null = null;
  for (const e of journal.expectations) {
    const after = e.subject?.window?.after;
    const first = e.evidence.firstMatchMs;
    if (after === undefined || e.subject?.mode !== 'eventually' || typeof first !== 'number') continue;
    const fault = journal.faults.find((f) => f.step === after);
    if (fault?.revertedMs === null || fault?.revertedMs === undefined) continue;
    const took = Math.max(0, first - fault.revertedMs);
    worst = worst === null ? took : Math.max(worst, took);
  }
  return worst;
}
