/** Probes: one sample on demand, or samples at a fixed rate on the run clock. */
import pg from 'pg';
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import type { ProbeSpec } from '../../core/scenario-schema.ts';
import type { Clock } from '../../core/clock.ts';
import type { StackEndpoints } from '../../stack/types.ts';
import { sampleHttp } from './http.ts';
import { sampleMetrics } from './metrics.ts';
import { sampleSql } from './sql.ts';
import { sampleSim } from './sim.ts';
import { sampleTelegramSent } from './telegram-sent.ts';
import type { ProbeContext } from './types.ts';

export type { ProbeContext };

/** Takes one sample of any probe kind. Never throws. */
export function sampleProbe(spec: ProbeSpec, ctx: ProbeContext): Promise<ProbeSample> {
  switch (spec.kind) {
    case 'http':
      return sampleHttp(spec, ctx);
    case 'sql':
      return sampleSql(spec, ctx);
    case 'metrics':
      return sampleMetrics(spec, ctx);
    case 'telegram-sent':
      return sampleTelegramSent(spec, ctx);
    case 'sim':
      return sampleSim(spec, ctx);
  }
}

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
export async function runProbe(spec: ProbeSpec, ctx: ProbeContext, signal: AbortSignal, onSample: (sample: ProbeSample) => void): Promise<void> {
  const everyMs = toMs(spec.every);
  const maxInFlight = Math.ceil(toMs(spec.timeout) / everyMs) + 1;
  const inFlight = new Set<Promise<void>>();
  let next = ctx.clock.now();
  while (!signal.aborted) {
    if (inFlight.size < maxInFlight) {
      const p = sampleProbe(spec, ctx).then(onSample);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    next += everyMs;
    await ctx.clock.until(next, signal);
  }
  await Promise.allSettled([...inFlight]);
}
