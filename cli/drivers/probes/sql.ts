/** A SQL probe: one number from PostgreSQL, read directly (the harness never goes through the proxies). */
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import { z } from 'zod';
import { duration, interval, name } from '../../core/scenario-schema.ts';
import { isTimeout, roundMs } from './http.ts';
import { cadence, type ProbeContext, type ProbeDriver } from './types.ts';

/**
 * A number read from PostgreSQL directly (never through the proxy): the first column of the
 * first row. A scenario judges only its own rows: a query over a whole table would count what
 * earlier runs left behind (a sabotaged run's double credits, say), so such a query takes
 * `since: run` and filters on the run's start.
 */
export const SqlProbeSchema = z
  .object({
    name,
    kind: z.literal('sql'),
    query: z.string().min(1).describe('A read-only query whose first column of the first row is a number, e.g. SELECT count(*) FROM …'),
    since: z
      .enum(['run', 'absolute'])
      .default('absolute')
      .describe('run: the query gets $1, the instant this run started (timestamptz), to count only rows the run wrote (WHERE created_at >= $1), so what earlier runs left does not count; absolute: no parameter.'),
    every: interval.default('1s'),
    timeout: duration.default('2s'),
  })
  .strict()
  .refine((p) => /\$1\b/.test(p.query) === (p.since === 'run'), {
    message: 'with since: run the query uses $1 (the instant the run started); without it the query takes no parameter',
    path: ['query'],
  });
export type SqlProbeSpec = z.output<typeof SqlProbeSchema>;

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

export const sqlProbeDriver: ProbeDriver<typeof SqlProbeSchema> = {
  schema: SqlProbeSchema,
  describe: (spec) => `SQL ${spec.query} ${cadence(spec)}`,
  sample: sampleSql,
};
