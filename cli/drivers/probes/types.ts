/** What a probe needs to take a sample. */
import type pg from 'pg';
import type { Clock } from '../../core/clock.ts';
import type { StackEndpoints } from '../../stack/types.ts';

export interface ProbeContext {
  endpoints: StackEndpoints;
  clock: Clock;
  /** The harness's own PostgreSQL pool (direct, never through a proxy), opened on first use. */
  db(): pg.Pool;
  /** When the run started (wall clock, before its setup fixtures): $1 of SQL probes with since: run. */
  runStartedAt: Date;
  /** First values of probes that count from the start of the run (sim probes with since: run), by probe. */
  baselines: Map<string, number>;
}

/**
 * A value counted from the probe's first sample of the run: the first reading is kept in
 * the context and subtracted from every later one.
 */
export function sinceRunStart(ctx: ProbeContext, probe: string, read: number): number {
  const start = ctx.baselines.get(probe) ?? read;
  ctx.baselines.set(probe, start);
  return read - start;
}

/** The probe's first answer had no value yet (a counter not yet created): its baseline is 0. */
export function noSeriesAtRunStart(ctx: ProbeContext, probe: string): void {
  if (!ctx.baselines.has(probe)) ctx.baselines.set(probe, 0);
}
