/** Pure readings of figures out of journals and probe samples. */
import type { Journal, LoadRecord, ProbeSample } from '../cli/core/journal.ts';

export function loadOf(journal: Journal, step: string): LoadRecord | undefined {
  return journal.loads.find((l) => l.step === step);
}

/** The last value a probe read during the run (its final sample when it has one). */
export function lastProbeValue(journal: Journal, probe: string): number | null {
  const final = journal.finalSamples[probe];
  if (final?.value !== undefined) return final.value;
  const samples = journal.probes.find((p) => p.name === probe)?.samples ?? [];
  for (let i = samples.length - 1; i >= 0; i -= 1) {
    const value = samples[i]?.value;
    if (value !== undefined) return value;
  }
  return null;
}

/**
 * Milliseconds from fromMs until the first answer with `status` came back: the
 * first sample that finished at or after fromMs with that status, measured to
 * its end. null when none did.
 */
export function firstStatusAfter(samples: readonly ProbeSample[], fromMs: number, status: number): number | null {
  const hits = samples.filter((s) => s.status === status && s.tMs + s.latencyMs >= fromMs).map((s) => s.tMs + s.latencyMs - fromMs);
  return hits.length === 0 ? null : Math.max(0, Math.min(...hits));
}

/**
 * A percentile from cumulative Prometheus buckets: the upper bound of the first
 * bucket holding that share of all observations (an upper bound, as precise as
 * the buckets). null when nothing was observed or the share lies beyond the last bucket.
 */
export function bucketPercentile(buckets: ReadonlyArray<{ le: number; count: number }>, total: number, percentile: number): number | null {
  if (total <= 0) return null;
  const need = (percentile / 100) * total;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  return sorted.find((b) => b.count >= need)?.le ?? null;
}

/** Rate a job sent at: messages over the action's duration in seconds. */
export function deliveryRate(messages: number, startedMs: number, endedMs: number | null): number | null {
  if (endedMs === null || endedMs <= startedMs) return null;
  return messages / ((endedMs - startedMs) / 1000);
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return a / b;
}
