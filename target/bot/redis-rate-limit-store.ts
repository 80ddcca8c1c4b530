/**
 * A RateLimitStore in Redis, so every bot instance counts against one limit
 * (seed B3: "for scale-out: Redis-based rate limit"), through ioredis.
 *
 * One Lua script makes the count atomic: INCR the key, and give it the
 * window as its time to live when it has none (a new window). That is the
 * same fixed window the in-memory store keeps.
 *
 * Failures (Redis down, a timeout) reject the hit within the command bound:
 * a hit made while the connection is (re)made waits at most that long, and is
 * never retried. The throttle middleware then lets the update through and
 * logs it, so a broken Redis never silences or stalls the bot; ioredis keeps
 * reconnecting in the background.
 */
import { Redis } from 'ioredis';
import type { RateLimitStore } from './throttle.ts';

export interface RedisRateLimitStoreOptions {
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  password?: string;
  /** Prepended to every key (default `chaosctl:`). */
  keyPrefix?: string;
  /** Bound of connecting (default 1000 ms). */
  connectTimeoutMs?: number;
  /** Bound of one command (default 500 ms); a late reply closes the connection. */
  commandTimeoutMs?: number;
}

const HIT_SCRIPT = `local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

/** Longest pause between reconnect attempts while Redis is away. */
const MAX_RECONNECT_DELAY_MS = 500;

export class RedisRateLimitStore implements RateLimitStore {
  private readonly client: Redis;
  private readonly keyPrefix: string;

  constructor(options: RedisRateLimitStoreOptions) {
    this.keyPrefix = options.keyPrefix ?? 'chaosctl:';
    this.client = new Redis({
      host: options.host ?? '127.0.0.1',
      port: options.port,
      ...(options.password === undefined ? {} : { password: options.password }),
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: options.commandTimeoutMs ?? 500,
      // The bound above also holds for a hit queued while connecting; a failed reconnect fails the queued ones.
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt: number) => Math.min(attempt * 50, MAX_RECONNECT_DELAY_MS),
    });
    // Connection errors reach callers as rejected hits; without a listener ioredis would print each one.
    this.client.on('error', () => undefined);
  }

  async hit(key: string, windowMs: number): Promise<number> {
    const reply: unknown = await this.client.eval(HIT_SCRIPT, 1, `${this.keyPrefix}${key}`, String(Math.max(1, Math.round(windowMs))));
    if (typeof reply !== 'number') throw new Error(`Redis answered ${JSON.stringify(reply)} instead of a count`);
    return reply;
  }

  /** Closes the connection; later hits fail. */
  close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }
}
