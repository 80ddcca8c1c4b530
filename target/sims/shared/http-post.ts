/**
 * One POST of a webhook or notification body to a loopback receiver, with a
 * bounded wait, reduced to what a delivery log needs.
 */
import { Agent, request } from 'undici';
import { requireLoopbackUrl } from './loopback-url.ts';

/** What one attempt came to. */
export interface PostOutcome {
  /** HTTP status, or null when no response arrived. */
  status: number | null;
  /** Why no response arrived (connection refused, timeout), or null. */
  error: string | null;
  /** Start of the attempt to its end, in milliseconds. */
  latencyMs: number;
  /** Start of the attempt, epoch milliseconds. */
  startedAt: number;
  /** Up to 64 KiB of the response body (Telegram reads method calls from it). */
  responseBody: string;
}

const RESPONSE_BODY_LIMIT = 64 * 1024;

/** A small connection pool owned by one simulator, destroyed with it. */
export function createPostAgent(): Agent {
  return new Agent({ keepAliveTimeout: 1000, keepAliveMaxTimeout: 5000, connections: 16 });
}

/**
 * POSTs `body` to `url` (checked to be loopback) and never throws: every
 * failure is an outcome. `signal` aborts the attempt when the simulator closes.
 */
export async function postOnce(
  agent: Agent,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<PostOutcome> {
  const startedAt = Date.now();
  const started = performance.now();
  const done = (status: number | null, error: string | null, responseBody = ''): PostOutcome => ({
    status,
    error,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
    startedAt,
    responseBody,
  });
  try {
    requireLoopbackUrl(url);
    const signals = [AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])];
    const response = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...headers },
      dispatcher: agent,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.any(signals),
    });
    const text = await response.body.text();
    return done(response.statusCode, null, text.slice(0, RESPONSE_BODY_LIMIT));
  } catch (error) {
    return done(null, describeNetworkError(error, signal));
  }
}

function describeNetworkError(error: unknown, signal: AbortSignal | undefined): string {
  if (signal?.aborted) return 'Simulator stopped';
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const name = error instanceof Error ? error.name : '';
  if (code === 'ECONNREFUSED') return 'Connection refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'Connection reset by peer';
  if (name === 'TimeoutError' || code.startsWith('UND_ERR_') && code.includes('TIMEOUT')) return 'Timeout expired';
  if (name === 'AbortError') return 'Timeout expired';
  return error instanceof Error ? error.message : String(error);
}
