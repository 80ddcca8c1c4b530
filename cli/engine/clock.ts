/** The run clock: milliseconds since the timeline started, from a monotonic source. */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Milliseconds since the clock started. */
  now(): number;
  /** Resolves after ms, or earlier when the signal aborts. Never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Resolves at clock time tMs (immediately if that has passed), or earlier on abort. */
  until(tMs: number, signal?: AbortSignal): Promise<void>;
}

export function startClock(): Clock {
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  return { now, sleep, until: (tMs, signal) => sleep(tMs - now(), signal) };
}
