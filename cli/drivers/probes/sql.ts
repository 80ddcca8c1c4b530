/** A SQL probe: one number from PostgreSQL, read directly (the harness never goes through the proxies). */
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import type { SqlProbeSpec } from '../../core/scenario-schema.ts';
import { isTimeout, roundMs } from './http.ts';
import type { ProbeContext } from './types.ts';

export async function sampleSql(spec: SqlProbeSpec, ctx: ProbeContext): Promise<ProbeSample> {
  const timeoutMs = toMs(spec.timeout);
  const tMs = ctx.clock.now();
  try {
    const values = spec.since === 'run' ? [ctx.runStartedAt] : [];
    const result = await ctx.db().query({ text: spec.query, values, rowMode: 'array', query_timeout: timeoutMs } as { text: string; values: unknown[]; rowMode: 'array' });
    const cell = (result.rows[0] as unknown[] | undefined)?.[0];
    const value = typeof cell === 'number' ? cell : typeof cell === 'string' || typeof cell === 'bigint' ? Number(cell) : cell === null ? 0 : NaN;
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    if (!Number.isFinite(value)) return { tMs, ok: false, status: null, latencyMs, error: `the query's first cell is not a number: ${String(cell)}` };
    return { tMs, ok: true, status: null, latencyMs, value };
  } catch (error) {
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    return { tMs, ok: false, status: null, latencyMs, error: isTimeout(error) ? `timeout after ${timeoutMs} ms` : (error as Error).message };
  }
}
