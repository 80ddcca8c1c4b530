/** An HTTP probe: GET a path of the target on the run clock and record status and latency. */
import { request } from 'undici';
import { toMs } from '../../engine/duration.ts';
import type { ProbeSample } from '../../engine/journal.ts';
import type { ProbeSpec } from '../../engine/scenario-schema.ts';
import type { StackEndpoints } from '../../stack/types.ts';
import type { Clock } from '../../engine/clock.ts';

/** Takes one sample. Never throws: a failure is a sample with ok=false and the error. */
export async function sampleHttp(spec: ProbeSpec, endpoints: StackEndpoints, clock: Clock): Promise<ProbeSample> {
  const timeoutMs = toMs(spec.timeout);
  const tMs = clock.now();
  try {
    const response = await request(new URL(spec.path, endpoints.targetUrl), {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body.dump();
    const status = response.statusCode;
    return { tMs, ok: status >= 200 && status < 300, status, latencyMs: round(clock.now() - tMs) };
  } catch (error) {
    const latencyMs = round(clock.now() - tMs);
    const name = (error as Error).name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError' || /timeout/i.test((error as Error).message);
    return { tMs, ok: false, status: null, latencyMs, error: timedOut ? `timeout after ${timeoutMs} ms` : (error as Error).message };
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Samples at a fixed rate until the signal aborts. A slow answer does not delay the
 * next sample (a hung target must not hide behind its own slowness), but at most a
 * bounded number are in flight.
 */
export async function runProbe(
  spec: ProbeSpec,
  endpoints: StackEndpoints,
  clock: Clock,
  signal: AbortSignal,
  onSample: (sample: ProbeSample) => void,
): Promise<void> {
  const everyMs = toMs(spec.every);
  const maxInFlight = Math.ceil(toMs(spec.timeout) / everyMs) + 1;
  const inFlight = new Set<Promise<void>>();
  let next = clock.now();
  while (!signal.aborted) {
    if (inFlight.size < maxInFlight) {
      const p = sampleHttp(spec, endpoints, clock).then(onSample);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    next += everyMs;
    await clock.until(next, signal);
  }
  await Promise.allSettled([...inFlight]);
}
