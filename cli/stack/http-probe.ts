/** One-shot HTTP GETs the stack uses to tell whether a service answers. */
import http from 'node:http';

/**
 * The status code of GET `url`, or null when nothing answered within
 * `timeoutMs`. No keep-alive: a probe must not hold sockets open to a service
 * that is about to be stopped.
 */
export function httpStatus(url: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode ?? null);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(null));
  });
}

export interface WaitForHttpOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Gives up early when this says the service is gone (e.g. its process exited). */
  stillAlive?: () => boolean;
}

/** Polls until GET `url` answers with any status. Returns that status, or null when it never did. */
export async function waitForHttp(url: string, options: WaitForHttpOptions): Promise<number | null> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  while (Date.now() < deadline) {
    const status = await httpStatus(url, Math.min(1000, Math.max(50, deadline - Date.now())));
    if (status !== null) return status;
    if (options.stillAlive && !options.stillAlive()) return null;
    await sleep(interval);
  }
  return null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
