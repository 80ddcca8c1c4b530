/**
 * HTTP plumbing shared by the payment provider clients: one attempt with a
 * time bound, and a retry loop with backoff inside an overall deadline (B6, §6).
 */

/** A provider call that did not give a usable answer. `retryable` says whether trying again may help. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: 'timeout' | 'connection' | 'http';
  readonly status?: number;
  readonly retryable: boolean;
  readonly attempts: number;

  constructor(provider: string, kind: 'timeout' | 'connection' | 'http', message: string, options: { status?: number; retryable: boolean; attempts?: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.status = options.status;
    this.retryable = options.retryable;
    this.attempts = options.attempts ?? 1;
  }
}

export interface RetryPolicy {
  /** Waits before retry 1, 2, 3…; its length is the number of retries (seed: 1 s, 2 s, 4 s). */
  retryDelaysMs: readonly number[];
  /** Bound on one attempt. */
  attemptTimeoutMs: number;
  /** Bound on the whole call, retries included (seed L8: 30 s). */
  overallTimeoutMs: number;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

/** One request with a time bound; a timeout or a refused connection becomes a ProviderError. */
export async function requestOnce(provider: string, url: string, init: RequestInit, timeoutMs: number): Promise<HttpAnswer> {
  const signal = AbortSignal.timeout(Math.max(1, timeoutMs));
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal });
  } catch (error) {
    if (signal.aborted) throw new ProviderError(provider, 'timeout', `${provider} did not answer within ${timeoutMs} ms`, { retryable: true, cause: error });
    throw new ProviderError(provider, 'connection', `${provider} unreachable: ${describe(error)}`, { retryable: true, cause: error });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (signal.aborted) throw new ProviderError(provider, 'timeout', `${provider} did not finish its answer within ${timeoutMs} ms`, { retryable: true, cause: error });
    throw new ProviderError(provider, 'connection', `${provider} answer cut off: ${describe(error)}`, { retryable: true, cause: error });
  }
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): keep the text for the error message.
  }
  return { status: response.status, body };
}

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable error, the
 * retries are used up, or the overall deadline passes. Each attempt gets the
 * time left, capped at attemptTimeoutMs.
 */
export async function withRetries<T>(provider: string, policy: RetryPolicy, attempt: (timeoutMs: number) => Promise<T>): Promise<T> {
  const deadline = Date.now() + policy.overallTimeoutMs;
  let last: unknown;
  for (let index = 0; index <= policy.retryDelaysMs.length; index += 1) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      return await attempt(Math.min(policy.attemptTimeoutMs, left));
    } catch (error) {
      last = error;
      if (!(error instanceof ProviderError) || !error.retryable) throw error;
      const delay = policy.retryDelaysMs[index];
      if (delay === undefined || Date.now() + delay >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
  if (last instanceof ProviderError) {
    throw new ProviderError(provider, last.kind, `${last.message} (gave up after ${policy.retryDelaysMs.length + 1} attempts or ${policy.overallTimeoutMs} ms)`, {
      status: last.status,
      retryable: false,
      cause: last,
    });
  }
  throw new ProviderError(provider, 'timeout', `${provider}: no answer within ${policy.overallTimeoutMs} ms`, { retryable: false, cause: last });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
