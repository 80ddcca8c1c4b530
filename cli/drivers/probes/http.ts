/** An HTTP probe: GET a path of the target and record status and latency. */
import { request } from 'undici';
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import { z } from 'zod';
import { duration, interval, name, urlPath } from '../../core/scenario-schema.ts';
import { cadence, type ProbeContext, type ProbeDriver } from './types.ts';

export const HttpProbeSchema = z
  .object({
    name,
    kind: z.literal('http'),
    path: urlPath,
    every: interval.default('250ms').describe('Sampling interval on the run clock.'),
    timeout: duration.default('2s').describe('A sample slower than this is recorded as a timeout.'),
  })
  .strict();
export type HttpProbeSpec = z.output<typeof HttpProbeSchema>;

export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Whether an error is a timeout of ours (abort signal, undici's header/body timeouts, pg's query timeout). */
export function isTimeout(error: unknown): boolean {
  const e = error as Error;
  return e?.name === 'TimeoutError' || e?.name === 'AbortError' || /timeout|timed out/i.test(e?.message ?? '');
}

/** GETs a path of the target; returns status and body, or throws. Bounded by timeoutMs. */
export async function getText(url: URL, timeoutMs: number): Promise<{ status: number; body: string }> {
  const response = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.statusCode, body: await response.body.text() };
}

/** Takes one sample. Never throws: a failure is a sample with ok=false and the error. */
export async function sampleHttp(spec: HttpProbeSpec, ctx: ProbeContext): Promise<ProbeSample> {
  const timeoutMs = toMs(spec.timeout);
  const tMs = ctx.clock.now();
  try {
    const response = await request(new URL(spec.path, ctx.endpoints.targetUrl), {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.dump();
    const status = response.statusCode;
    return { tMs, ok: status >= 200 && status < 300, status, latencyMs: roundMs(ctx.clock.now() - tMs) };
  } catch (error) {
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    return { tMs, ok: false, status: null, latencyMs, error: isTimeout(error) ? `timeout after ${timeoutMs} ms` : (error as Error).message };
  }
}

export const httpProbeDriver: ProbeDriver<typeof HttpProbeSchema> = {
  schema: HttpProbeSchema,
  describe: (spec) => `HTTP GET ${spec.path} ${cadence(spec)}`,
  sample: sampleHttp,
  targetPath: (spec) => spec.path,
};
