/**
 * A sim probe: one number from a simulator's control API, e.g. how many create-payment
 * calls YooKassa answered from its idempotence store. Simulators keep their counters
 * for the life of the stack, so by default the value counts from this run's first sample.
 */
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import type { SimProbeSpec } from '../../core/scenario-schema.ts';
import { getText, isTimeout, roundMs } from './http.ts';
import { sinceRunStart, type ProbeContext } from './types.ts';

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
