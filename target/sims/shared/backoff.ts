/**
 * When a webhook or notification that was refused is sent again: exponential
 * backoff, bounded both by a number of attempts and by a time horizon.
 */

/** How a simulator redelivers what the receiver did not accept. */
export interface RetryPolicy {
  /** Wait after the first failed attempt. */
  initialDelayMs: number;
  /** Each further wait is the previous one times this. */
  factor: number;
  /** No single wait is longer than this. */
  maxDelayMs: number;
  /** Attempts in total, the first one included. */
  maxAttempts: number;
  /** No attempt starts later than this after the first one. */
  horizonMs: number;
}

/** The wait after `failedAttempts` attempts have failed (1 = after the first). */
export function backoffDelayMs(policy: RetryPolicy, failedAttempts: number): number {
  const exponent = Math.max(0, failedAttempts - 1);
  return Math.min(policy.maxDelayMs, Math.round(policy.initialDelayMs * policy.factor ** exponent));
}

/**
 * The wait before the next attempt, or null when the policy says to give up:
 * out of attempts, or the next attempt would start past the horizon.
 */
export function nextRetryDelayMs(policy: RetryPolicy, failedAttempts: number, firstAttemptAt: number, now: number): number | null {
  if (failedAttempts >= policy.maxAttempts) return null;
  const delay = backoffDelayMs(policy, failedAttempts);
  if (now + delay - firstAttemptAt > policy.horizonMs) return null;
  return delay;
}

/** Fills the gaps of a partial policy from `defaults` and checks the result is usable. */
export function resolveRetryPolicy(defaults: RetryPolicy, partial: Partial<RetryPolicy> | undefined): RetryPolicy {
  const policy: RetryPolicy = { ...defaults, ...definedOnly(partial ?? {}) };
  const problems: string[] = [];
  if (!(policy.initialDelayMs >= 0)) problems.push('initialDelayMs must be >= 0');
  if (!(policy.factor >= 1)) problems.push('factor must be >= 1');
  if (!(policy.maxDelayMs >= policy.initialDelayMs)) problems.push('maxDelayMs must be >= initialDelayMs');
  if (!(Number.isInteger(policy.maxAttempts) && policy.maxAttempts >= 1 && policy.maxAttempts <= 1000)) {
    problems.push('maxAttempts must be an integer from 1 to 1000');
  }
  if (!(policy.horizonMs >= 0)) problems.push('horizonMs must be >= 0');
  if (problems.length > 0) throw new Error(`invalid retry policy: ${problems.join('; ')}`);
  return policy;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
