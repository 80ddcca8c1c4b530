/**
 * The bot's pending updates, as Telegram keeps them: in update_id order
 * until confirmed (getUpdates with a higher offset, or a webhook delivery
 * that was accepted). At most one getUpdates long poll waits at a time; a
 * newer getUpdates terminates the older one with 409, as the real server does.
 */
import { TelegramApiError, TEXT } from './errors.ts';
import type { TgUpdate, TgUpdateType } from './types.ts';

export interface QueuedUpdate {
  update: TgUpdate;
  type: TgUpdateType;
  /** Chat the update came from (for "which update does this reply answer"). */
  chatId: number;
  /** When the harness injected it, epoch milliseconds. */
  injectedAt: number;
}

interface Waiter {
  limit: number;
  resolve: (updates: QueuedUpdate[]) => void;
  reject: (error: TelegramApiError) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

/** Pending updates kept at most; the oldest are dropped beyond this. */
const MAX_PENDING = 100_000;

export class UpdateQueue {
  private pending: QueuedUpdate[] = [];
  private lastId: number;
  private readonly firstId: number;
  private waiter: Waiter | null = null;
  private readonly onPushListeners = new Set<() => void>();

  constructor(firstUpdateId: number) {
    this.firstId = firstUpdateId;
    this.lastId = firstUpdateId - 1;
  }

  nextUpdateId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  get size(): number {
    return this.pending.length;
  }

  /** Calls `listener` after every push (the webhook sender wakes up on it). */
  onPush(listener: () => void): () => void {
    this.onPushListeners.add(listener);
    return () => this.onPushListeners.delete(listener);
  }

  push(queued: QueuedUpdate): void {
    this.pending.push(queued);
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.cleanup();
      waiter.resolve(this.peek(waiter.limit));
    }
    for (const listener of this.onPushListeners) listener();
  }

  /** getUpdates' offset: forgets updates below it; a negative one keeps only the last -offset updates. */
  confirm(offset: number): void {
    if (offset < 0) {
      this.pending = this.pending.slice(Math.max(0, this.pending.length + offset));
    } else if (offset > 0) {
      this.pending = this.pending.filter((q) => q.update.update_id >= offset);
    }
  }

  peek(limit: number): QueuedUpdate[] {
    return this.pending.slice(0, limit);
  }

  head(): QueuedUpdate | undefined {
    return this.pending[0];
  }

  /** Forgets every pending update (drop_pending_updates, reset). */
  dropAll(): void {
    this.pending = [];
  }

  /** Whether a long poll is waiting right now. */
  polling(): boolean {
    return this.waiter !== null;
  }

  /**
   * Waits up to `timeoutMs` for updates when none are pending. Any long poll
   * still waiting is terminated with 409 first. `signal` ends the wait when
   * the client goes away.
   */
  poll(limit: number, timeoutMs: number, signal?: AbortSignal): Promise<QueuedUpdate[]> {
    this.terminate(new TelegramApiError(409, TEXT.conflictOtherPoll));
    if (this.pending.length > 0 || timeoutMs <= 0 || signal?.aborted) return Promise.resolve(this.peek(limit));
    return new Promise<QueuedUpdate[]>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.waiter === waiter) this.waiter = null;
        waiter.cleanup();
        resolve([]);
      };
      const waiter: Waiter = {
        limit,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (this.waiter === waiter) this.waiter = null;
          waiter.cleanup();
          resolve(this.peek(limit));
        }, timeoutMs),
        cleanup: () => {
          clearTimeout(waiter.timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = waiter;
    });
  }

  /** Ends a waiting long poll with `error` (another getUpdates, setWebhook). */
  terminate(error: TelegramApiError): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    waiter.cleanup();
    waiter.reject(error);
  }

  /** Ends a waiting long poll with no updates (reset, close). */
  release(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = null;
    waiter.cleanup();
    waiter.resolve([]);
  }

  /** Back to a fresh queue: no updates, ids from the first one again. */
  reset(): void {
    this.release();
    this.pending = [];
    this.lastId = this.firstId - 1;
  }
}
