/**
 * ThrottlingMiddleware (seed C11, L1, B3): more than `limit` updates from one
 * user within a window never reach a handler. The counting lives behind
 * `RateLimitStore`, so several bot instances can share one limit (B3) by
 * sharing a store; the in-memory store here serves one process.
 *
 * Windows are fixed: the first update of a user opens a window of
 * `windowMs`, and the count starts again when it ends. That is what an
 * INCR + PEXPIRE in a shared store gives, so both stores count alike.
 *
 * Why not grammY's @grammyjs/ratelimiter (read in its 1.2.1 source): its
 * Redis store sends INCR and then, for a new window, PEXPIRE as two separate
 * commands, so a connection lost between the two (the faults this project
 * injects) leaves a key with no expiry and that user throttled for good; and
 * its middleware awaits the store with no catch, so a Redis that is down
 * turns every update into an error instead of letting it through. Fixing
 * both means handing it a store client that is this store and a catch around
 * it, which leaves the plugin a shell around this code; so the middleware
 * stays here, with one atomic script in Redis (redis-rate-limit-store.ts,
 * through ioredis).
 */
import type { Context, MiddlewareFn } from 'grammy';
import type { Logger } from 'pino';

/** Counts hits per key and window. */
export interface RateLimitStore {
  /** Records one hit on `key` and answers how many there were in its current window, this one included. */
  hit(key: string, windowMs: number): Promise<number>;
}

/** Per-process counts; entries of ended windows are swept as the map grows, so idle users cost nothing. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly windows = new Map<string, { endsAt: number; count: number }>();
  private nextSweepAt = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  hit(key: string, windowMs: number): Promise<number> {
    const now = this.now();
    if (now >= this.nextSweepAt) this.sweep(now, windowMs);
    const current = this.windows.get(key);
    if (!current || current.endsAt <= now) {
      this.windows.set(key, { endsAt: now + windowMs, count: 1 });
      return Promise.resolve(1);
    }
    current.count += 1;
    return Promise.resolve(current.count);
  }

  /** Keys currently tracked (for tests of the sweep). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number, windowMs: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    this.nextSweepAt = now + windowMs;
  }
}

export interface ThrottleOptions {
  store: RateLimitStore;
  /** Updates per user per window that reach a handler (default 30). */
  limit: number;
  /** Default 60 000 ms. */
  windowMs: number;
  /** Send one "Too many requests" reply when a user first exceeds the limit in a window (default off, as the seed says "no reply"). */
  replyWhenThrottled: boolean;
  /** Sabotage `throttle`: count nothing, drop nothing. */
  disabled: boolean;
  logger: Logger;
  /** Called for every update dropped, for metrics. */
  onThrottled?: () => void;
}

export const TOO_MANY_REQUESTS_TEXT = 'Too many requests. Please wait a minute and try again.';

/**
 * The middleware. An update without a sender (none in private chats) passes.
 * A store that fails lets the update through: a broken limiter must not
 * silence the bot.
 */
export function throttleMiddleware(options: ThrottleOptions): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const userId = ctx.from?.id;
    if (options.disabled || userId === undefined) return next();
    let count: number;
    try {
      count = await options.store.hit(`throttle:${userId}`, options.windowMs);
    } catch (error) {
      options.logger.warn({ userId, error: error instanceof Error ? error.message : String(error) }, 'rate-limit store failed; letting the update through');
      return next();
    }
    if (count <= options.limit) return next();
    options.onThrottled?.();
    options.logger.debug({ event: 'throttled', userId, count, limit: options.limit }, 'update dropped by the rate limit');
    if (options.replyWhenThrottled && count === options.limit + 1 && ctx.chat) {
      await ctx.reply(TOO_MANY_REQUESTS_TEXT).catch(() => undefined);
    }
  };
}
