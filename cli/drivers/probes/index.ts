/** Probes at run time, whatever their kind: the context they sample in, and samples at a fixed rate on the run clock. */
import pg from 'pg';
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import type { ProbeSpecBase } from '../../core/scenario-schema.ts';
import type { Clock } from '../../core/clock.ts';
import type { StackEndpoints } from '../../stack/types.ts';
import type { ProbeContext, ProbeDriver } from './types.ts';

export type { ProbeContext, ProbeDriver };

/** A probe context whose harness pool opens on first use; close() ends it. */
export function probeContext(endpoints: StackEndpoints, clock: Clock, runStartedAt = new Date()): ProbeContext & { close(): Promise<void> } {
  let pool: pg.Pool | null = null;
  return {
    endpoints,
    clock,
    runStartedAt,
    baselines: new Map(),
    db() {
      if (!pool) {
        pool = new pg.Pool({ connectionString: endpoints.databaseUrl, max: 2, connectionTimeoutMillis: 2000, application_name: 'chaosctl-probe' });
        pool.on('error', () => undefined); // a dropped idle connection is expected while faults run
      }
      return pool;
    },
    async close() {
      await pool?.end().catch(() => undefined);
      pool = null;
    },
  };
}

/**
 * Samples at a fixed rate until the signal aborts. A slow answer does not delay the
 * next sample (a hung target must not hide behind its own slowness), but at most a
 * bounded number are in flight.
 */
export async function runProbe(driver: ProbeDriver, spec: ProbeSpecBase, ctx: ProbeContext, signal: AbortSignal, onSample: (sample: ProbeSample) => void): Promise<void> {
  const everyMs = toMs(spec.every);
  const maxInFlight = Math.ceil(toMs(spec.timeout) / everyMs) + 1;
  const inFlight = new Set<Promise<void>>();
  let next = ctx.clock.now();
  while (!signal.aborted) {
    if (inFlight.size < maxInFlight) {
      const p = driver.sample(spec, ctx).then(onSample);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    next += everyMs;
    await ctx.clock.until(next, signal);
  }
  await Promise.allSettled([...inFlight]);
}
