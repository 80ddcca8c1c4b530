/**
 * A sim probe: one number from a simulator's control API, e.g. how many create-payment
 * calls YooKassa answered from its idempotence store. Simulators keep their counters
 * for the life of the stack, so by default the value counts from this run's first sample.
 */
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import { z } from 'zod';
import { duration, interval, name, urlPath } from '../../core/scenario-schema.ts';
import { getText, isTimeout, roundMs } from './http.ts';
import { cadence, sinceRunStart, type ProbeContext, type ProbeDriver } from './types.ts';

/**
 * A number from a simulator's control API (GET /_sim/counters by default): a field of its
 * JSON answer, by dot path (e.g. idempotent_replays, requests.create). With `since: run`
 * the value counts from the probe's first sample of the run, so counters the simulator
 * kept from earlier runs on the same stack do not count.
 */
export const SimProbeSchema = z
  .object({
    name,
    kind: z.literal('sim'),
    sim: z.enum(['telegram', 'yookassa', 'cryptopay']),
    path: urlPath.default('/_sim/counters').describe('A GET route of the simulator\'s control API.'),
    field: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, { message: 'a dot path such as requests.create' })
      .describe('Where the number is in the JSON answer.'),
    since: z.enum(['run', 'absolute']).default('run').describe('run: minus the value at the first sample of this run; absolute: as read.'),
    every: interval.default('1s'),
    timeout: duration.default('2s'),
  })
  .strict();
export type SimProbeSpec = z.output<typeof SimProbeSchema>;

/** The number at a dot path of a JSON value; null when the path is missing or not a number. */
export function numberAt(value: unknown, dotPath: string): number | null {
  let here: unknown = value;
  for (const key of dotPath.split('.')) {
    if (typeof here !== 'object' || here === null || !Object.hasOwn(here, key)) return null;
    here = (here as Record<string, unknown>)[key];
  }
  return typeof here === 'number' && Number.isFinite(here) ? here : null;
}

export async function sampleSim(spec: SimProbeSpec, ctx: ProbeContext): Promise<ProbeSample> {
  const timeoutMs = toMs(spec.timeout);
  const tMs = ctx.clock.now();
  const base = ctx.endpoints.sims?.[spec.sim];
  if (!base) return { tMs, ok: false, status: null, latencyMs: 0, error: `this stack runs no ${spec.sim} simulator` };
  try {
    const { status, body } = await getText(new URL(spec.path, base), timeoutMs);
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    if (status !== 200) return { tMs, ok: false, status, latencyMs, error: `${spec.sim} simulator answered ${status}: ${body.slice(0, 200)}` };
    const read = numberAt(JSON.parse(body) as unknown, spec.field);
    if (read === null) return { tMs, ok: false, status, latencyMs, error: `no number at "${spec.field}" in ${spec.path}` };
    return { tMs, ok: true, status, latencyMs, value: spec.since === 'run' ? sinceRunStart(ctx, spec.name, read) : read };
  } catch (error) {
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    return { tMs, ok: false, status: null, latencyMs, error: isTimeout(error) ? `timeout after ${timeoutMs} ms` : (error as Error).message };
  }
}

export const simProbeDriver: ProbeDriver<typeof SimProbeSchema> = {
  schema: SimProbeSchema,
  describe: (spec) => `${spec.sim} simulator ${spec.path} → ${spec.field}${spec.since === 'run' ? ' (since the run started)' : ''} ${cadence(spec)}`,
  sample: sampleSim,
};
