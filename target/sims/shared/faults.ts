/**
 * Faults a simulator can be told to show on its API (never on its control
 * API): added latency, forced failures for the next K calls, and a "hang"
 * that holds every call until it is cleared. All waits end when the
 * simulator closes, and a hang ends by itself after a bounded time.
 */

/** Added latency: `fixed_ms` plus a uniform random 0..`jitter_ms`. */
export interface LatencySetting {
  fixed_ms: number;
  jitter_ms: number;
}

/** A failure to return instead of the real answer, `count` times. */
export interface ForcedFailureRule<F> {
  /** How many matching calls fail. */
  count: number;
  /** Only calls of these operations (method or route names) count; all when left out. */
  methods?: string[];
  failure: F;
}

/** What `snapshot` shows of a forced failure. */
export interface ForcedFailureState<F> {
  remaining: number;
  methods: string[] | null;
  failure: F;
}

/** Longest a latency setting may add to one call. */
export const MAX_LATENCY_MS = 120_000;
/** Longest a hang may last before it clears itself. */
export const MAX_HANG_MS = 600_000;

export class FaultPlan<F> {
  private latency: LatencySetting = { fixed_ms: 0, jitter_ms: 0 };
  private forced: ForcedFailureState<F>[] = [];
  private hangUntil: number | null = null;
  private hangTimer: NodeJS.Timeout | null = null;
  private readonly waiters = new Set<{ timer: NodeJS.Timeout | null; resolve: () => void }>();
  private readonly hangWaiters = new Set<() => void>();

  setLatency(setting: LatencySetting): void {
    if (setting.fixed_ms < 0 || setting.jitter_ms < 0 || setting.fixed_ms + setting.jitter_ms > MAX_LATENCY_MS) {
      throw new RangeError(`latency must be >= 0 and fixed_ms + jitter_ms at most ${MAX_LATENCY_MS}`);
    }
    this.latency = { ...setting };
  }

  /** Queues a forced failure; rules are used in the order they were added. */
  force(rule: ForcedFailureRule<F>): void {
    if (!Number.isInteger(rule.count) || rule.count < 1) throw new RangeError('count must be a positive integer');
    this.forced.push({ remaining: rule.count, methods: rule.methods ? [...rule.methods] : null, failure: rule.failure });
  }

  clearForced(): void {
    this.forced = [];
  }

  /** The failure the call of `operation` must return, if a rule still applies to it; uses one up. */
  takeForced(operation: string): F | undefined {
    const rule = this.forced.find((r) => r.remaining > 0 && (r.methods === null || r.methods.some((m) => m.toLowerCase() === operation.toLowerCase())));
    if (!rule) return undefined;
    rule.remaining -= 1;
    this.forced = this.forced.filter((r) => r.remaining > 0);
    return rule.failure;
  }

  /** Holds every API call from now until `clearHang` or `maxMs` from now, whichever is first. */
  hang(maxMs: number): void {
    if (!(maxMs > 0 && maxMs <= MAX_HANG_MS)) throw new RangeError(`max_ms must be in (0, ${MAX_HANG_MS}]`);
    this.clearHangTimer();
    this.hangUntil = Date.now() + maxMs;
    this.hangTimer = setTimeout(() => this.clearHang(), maxMs);
  }

  clearHang(): void {
    this.clearHangTimer();
    this.hangUntil = null;
    for (const release of this.hangWaiters) release();
    this.hangWaiters.clear();
  }

  /** Called before an API call is handled: waits out a hang, then the latency. */
  async beforeCall(): Promise<void> {
    if (this.hangUntil !== null) {
      await new Promise<void>((resolve) => this.hangWaiters.add(resolve));
    }
    const extra = this.latency.fixed_ms + Math.random() * this.latency.jitter_ms;
    if (extra > 0) await this.wait(extra);
  }

  snapshot(): { latency: LatencySetting; forced: ForcedFailureState<F>[]; hang_until: number | null; held_calls: number } {
    return {
      latency: { ...this.latency },
      forced: this.forced.map((r) => ({ ...r, methods: r.methods ? [...r.methods] : null })),
      hang_until: this.hangUntil,
      held_calls: this.hangWaiters.size,
    };
  }

  /** Back to no faults; held calls go on. */
  reset(): void {
    this.latency = { fixed_ms: 0, jitter_ms: 0 };
    this.forced = [];
    this.clearHang();
  }

  /** Ends every wait at once (the simulator is closing). */
  close(): void {
    this.clearHang();
    for (const waiter of this.waiters) {
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.resolve();
    }
    this.waiters.clear();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = { timer: null as NodeJS.Timeout | null, resolve };
      waiter.timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve();
      }, ms);
      this.waiters.add(waiter);
    });
  }

  private clearHangTimer(): void {
    if (this.hangTimer) clearTimeout(this.hangTimer);
    this.hangTimer = null;
  }
}
