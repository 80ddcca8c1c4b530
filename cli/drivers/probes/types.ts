/**
 * The probe driver contract (its spec's schema, a description, one sample) and what a probe
 * needs to take a sample. A driver registers in cli/drivers/registry.ts.
 */
import type pg from 'pg';
import type { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import type { ProbeSample } from '../../core/journal.ts';
import type { ProbeSpecBase } from '../../core/scenario-schema.ts';
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

export interface ProbeDriver<S extends z.ZodType<ProbeSpecBase> = z.ZodType<ProbeSpecBase>> {
  /** A scenario's probe of this kind; the scenario schema's union of probes is made of these. */
  schema: S;
  /** What the probe samples, in words, for the journal and the reports. */
  describe(spec: z.output<S>): string;
  /** Takes one sample. Never throws: a failure is a sample with ok=false and the error. */
  sample(spec: z.output<S>, ctx: ProbeContext): Promise<ProbeSample>;
  /** The path on the target's HTTP side whose status the probe samples, when it samples one (see LoadDriver.targetPath). */
  targetPath?(spec: z.output<S>): string;
}

/** How often and how patiently a probe samples, the end of every probe's description. */
export function cadence(spec: ProbeSpecBase): string {
  return `every ${spec.every}, timeout ${spec.timeout}`;
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
