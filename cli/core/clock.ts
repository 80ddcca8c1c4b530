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

/**
 * The longest single timer. Node fires a setTimeout of 2^31 ms or more after 1 ms (with
 * only a warning), so a long wait is made of timers no longer than this, each re-armed
 * for what is left.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function startClock(): Clock {
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      // `!(ms > 0)` also covers NaN: nothing to wait for.
      if (signal?.aborted || !(ms > 0)) return resolve();
      const end = now() + ms;
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        const left = end - now();
        if (left <= 0) return done();
        timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      };
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
      arm();
    });
  return { now, sleep, until: (tMs, signal) => sleep(tMs - now(), signal) };
}
