/**
 * Telegram's flood limits as its FAQ describes them: about one message per
 * second in a private chat (short bursts pass), about 30 messages per second
 * overall, and 20 messages per minute in a group. Each limit is a token
 * bucket; a message that would overdraw any of them is refused with the
 * whole seconds until it would pass.
 */

/** The limits of one scenario. Rates and bursts are multiplied by `scale`. */
export interface FloodLimits {
  enabled: boolean;
  /** Multiplier on every rate and burst: 10 lets ten times as many messages through. */
  scale: number;
  private_per_second: number;
  /** Messages a private chat may get at once before the per-second pace applies. */
  private_burst: number;
  global_per_second: number;
  global_burst: number;
  group_per_minute: number;
  group_burst: number;
}

export const DEFAULT_FLOOD_LIMITS: FloodLimits = {
  enabled: true,
  scale: 1,
  private_per_second: 1,
  private_burst: 3,
  global_per_second: 30,
  global_burst: 30,
  group_per_minute: 20,
  group_burst: 20,
};

class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private readonly perMs: number;

  constructor(capacity: number, perSecond: number, now: number) {
    this.capacity = capacity;
    this.perMs = perSecond / 1000;
    this.tokens = capacity;
    this.last = now;
  }

  /** Milliseconds until one token is there (0: now). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.perMs;
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.capacity;
  }

  private refill(now: number): void {
    // A clock that stepped back refills nothing rather than draining the bucket.
    if (now <= this.last) return;
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
  }
}

/** Chat buckets kept at most; full (idle) ones are dropped first. */
const MAX_CHAT_BUCKETS = 200_000;

export class FloodLimiter {
  private limits: FloodLimits;
  private global: TokenBucket;
  private readonly chats = new Map<number, TokenBucket>();

  constructor(limits: FloodLimits) {
    this.limits = validateFloodLimits(limits);
    this.global = this.newGlobal(Date.now());
  }

  current(): FloodLimits {
    return { ...this.limits };
  }

  /** New limits take effect at once, with every bucket full. */
  set(limits: FloodLimits): void {
    this.limits = validateFloodLimits(limits);
    this.chats.clear();
    this.global = this.newGlobal(Date.now());
  }

  /**
   * Counts one message to `chatId` when every limit allows it and returns 0;
   * otherwise counts nothing and returns retry_after in whole seconds (>= 1).
   */
  admit(chatId: number, kind: 'private' | 'group', now = Date.now()): number {
    if (!this.limits.enabled) return 0;
    const chat = this.chatBucket(chatId, kind, now);
    const wait = Math.max(chat.waitMs(now), this.global.waitMs(now));
    if (wait > 0) return Math.max(1, Math.ceil(wait / 1000));
    chat.take(now);
    this.global.take(now);
    return 0;
  }

  private chatBucket(chatId: number, kind: 'private' | 'group', now: number): TokenBucket {
    let bucket = this.chats.get(chatId);
    if (!bucket) {
      if (this.chats.size >= MAX_CHAT_BUCKETS) this.dropFullBuckets(now);
      const { scale } = this.limits;
      bucket =
        kind === 'private'
          ? new TokenBucket(Math.max(1, this.limits.private_burst * scale), this.limits.private_per_second * scale, now)
          : new TokenBucket(Math.max(1, this.limits.group_burst * scale), (this.limits.group_per_minute / 60) * scale, now);
      this.chats.set(chatId, bucket);
    }
    return bucket;
  }

  private newGlobal(now: number): TokenBucket {
    const { scale } = this.limits;
    return new TokenBucket(Math.max(1, this.limits.global_burst * scale), this.limits.global_per_second * scale, now);
  }

  private dropFullBuckets(now: number): void {
    for (const [id, bucket] of this.chats) if (bucket.full(now)) this.chats.delete(id);
  }
}

function validateFloodLimits(limits: FloodLimits): FloodLimits {
  const positive = ['scale', 'private_per_second', 'private_burst', 'global_per_second', 'global_burst', 'group_per_minute', 'group_burst'] as const;
  const bad = positive.filter((key) => !(Number.isFinite(limits[key]) && limits[key] > 0));
  if (bad.length > 0) throw new RangeError(`flood limits must be positive numbers: ${bad.join(', ')}`);
  return { ...limits };
}
