/**
 * Long polling for the bot (grammY's runner is not a dependency here): one
 * getUpdates loop, updates handled concurrently across chats and strictly in
 * order within a chat, and no giving up while Telegram is unreachable.
 *
 * - Ordering: every update joins the promise chain of its chat, so a user's
 *   "/newhabit", "Read", "07:30" are handled one after the other while other
 *   chats proceed in parallel (up to `maxConcurrent` updates in flight; the
 *   loop stops fetching while that many are queued or running).
 * - Confirmation: an update is confirmed by the next getUpdates (offset), as
 *   soon as it has been taken in, so a crash loses at most the updates in
 *   flight; they are never handled twice.
 * - Failures: a failed or hung getUpdates (each call is bounded by the long
 *   poll timeout plus a slack) is retried after a capped exponential backoff,
 *   forever, with a log line for every failure and one when it recovers.
 *   Unlike the seed ("polling exception → shutdown"), the process stays up
 *   and answers again as soon as Telegram does; /health reports the outage
 *   meanwhile (see docs/target-bot.md). Sabotage `polling-gives-up` plants
 *   the seed's behaviour instead: polling stops after a few failures.
 */
import type { Bot, Context } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import type { Sabotage } from '../sabotage.ts';
import { grammySignal } from './grammy-signal.ts';

export interface PollerOptions {
  /** Long-poll timeout of getUpdates, seconds (default 25). */
  pollTimeoutSeconds?: number;
  /** A getUpdates without an answer after the poll timeout plus this is abandoned and counts as a failure (default 5000 ms). */
  requestSlackMs?: number;
  /** Updates per getUpdates, 1–100 (default 100). */
  batchLimit?: number;
  /** Updates queued or running at once across chats (default 25). */
  maxConcurrent?: number;
  /** First wait after a failure (default 250 ms); doubles per consecutive failure. */
  backoffInitialMs?: number;
  /** Longest wait between attempts (default 30 000 ms). */
  backoffMaxMs?: number;
  /** Passed to getUpdates (default message and callback_query). */
  allowedUpdates?: ReadonlyArray<'message' | 'callback_query' | 'edited_message'>;
  /** Stop for good after this many failures in a row (default never). Only sabotage `polling-gives-up` sets it: see pollerSabotage. */
  giveUpAfterFailures?: number;
}

/** Failures in a row after which sabotage `polling-gives-up` stops polling. */
export const GIVE_UP_AFTER_FAILURES = 3;

/**
 * The poller options a sabotage switch plants: `polling-gives-up` is the seed's
 * "polling exception → shutdown" (of the polling, not the process), which this
 * poller deliberately does not do.
 */
export function pollerSabotage(sabotage: Sabotage): PollerOptions {
  return sabotage.has('polling-gives-up') ? { giveUpAfterFailures: GIVE_UP_AFTER_FAILURES } : {};
}

export interface PollerStatus {
  running: boolean;
  /** getUpdates (or the initial getMe) failures since the last success. */
  consecutiveFailures: number;
  lastError: string | null;
  /** Epoch ms of the last successful getUpdates. */
  lastSuccessAt: number | null;
  inFlight: number;
  /** The offset the next getUpdates sends. */
  offset: number;
}

/** The chat an update belongs to, for ordering; updates without one share a queue per sender, or one common queue. */
export function orderingKey(update: Update): string {
  const payload = update.message ?? update.edited_message ?? update.callback_query?.message ?? update.my_chat_member ?? update.chat_member ?? update.channel_post;
  if (payload && 'chat' in payload) return `chat:${payload.chat.id}`;
  const from = update.callback_query?.from ?? update.inline_query?.from ?? update.pre_checkout_query?.from;
  return from ? `user:${from.id}` : 'other';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class UpdatePoller<C extends Context = Context> {
  private readonly bot: Bot<C>;
  private readonly log: Logger;
  private readonly pollTimeoutSeconds: number;
  private readonly requestSlackMs: number;
  private readonly batchLimit: number;
  private readonly maxConcurrent: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly allowedUpdates: ReadonlyArray<string>;
  private readonly giveUpAfterFailures: number;
  /** Set when sabotage polling-gives-up stopped the loop: it no longer counts as running. */
  private gaveUp = false;

  private readonly chains = new Map<string, Promise<void>>();
  private readonly capacityWaiters = new Set<() => void>();
  private stopController: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private offset = 0;
  private webhookDeleted = false;
  private inFlight = 0;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private lastSuccessAt: number | null = null;

  constructor(bot: Bot<C>, logger: Logger, options: PollerOptions = {}) {
    this.bot = bot;
    this.log = logger.child({ component: 'bot-poller' });
    this.pollTimeoutSeconds = options.pollTimeoutSeconds ?? 25;
    this.requestSlackMs = options.requestSlackMs ?? 5000;
    this.batchLimit = Math.min(100, Math.max(1, options.batchLimit ?? 100));
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? 25);
    this.backoffInitialMs = options.backoffInitialMs ?? 250;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.allowedUpdates = options.allowedUpdates ?? ['message', 'callback_query'];
    this.giveUpAfterFailures = options.giveUpAfterFailures ?? Number.POSITIVE_INFINITY;
  }

  /** Starts the loop in the background; a no-op when it runs already. */
  start(): void {
    if (this.loop) return;
    const controller = new AbortController();
    this.stopController = controller;
    this.loop = this.run(controller.signal);
  }

  /** Ends the long poll, waits for the updates in flight, and confirms them to Telegram (best effort). Safe to call twice. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.stopController?.abort();
    await loop;
    await Promise.allSettled([...this.chains.values()]);
    if (this.offset > 0) {
      await this.bot.api.getUpdates({ offset: this.offset, limit: 1, timeout: 0 }, grammySignal(AbortSignal.timeout(2000))).catch(() => undefined);
    }
    this.loop = null;
    this.stopController = null;
  }

  status(): PollerStatus {
    return {
      running: this.loop !== null && !this.gaveUp,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      lastSuccessAt: this.lastSuccessAt,
      inFlight: this.inFlight,
      offset: this.offset,
    };
  }

  private async run(stop: AbortSignal): Promise<void> {
    this.log.info({ pollTimeoutSeconds: this.pollTimeoutSeconds, maxConcurrent: this.maxConcurrent }, 'long polling started');
    while (!stop.aborted) {
      try {
        const requestSignal = AbortSignal.any([stop, AbortSignal.timeout(this.pollTimeoutSeconds * 1000 + this.requestSlackMs)]);
        // bot.init() would retry on its own, out of sight; one getMe per attempt keeps every failure in this loop.
        if (!this.bot.isInited()) this.bot.botInfo = await this.bot.api.getMe(grammySignal(requestSignal));
        if (!this.webhookDeleted) {
          // getUpdates is refused while a webhook is set.
          await this.bot.api.deleteWebhook({}, grammySignal(requestSignal));
          this.webhookDeleted = true;
        }
        // grammY types allowed_updates as a tuple of literal names; the list is ours and valid.
        const updates = await this.bot.api.getUpdates(
          { offset: this.offset, limit: this.batchLimit, timeout: this.pollTimeoutSeconds, allowed_updates: [...this.allowedUpdates] as never },
          grammySignal(requestSignal),
        );
        this.recordSuccess();
        for (const update of updates) {
          this.offset = Math.max(this.offset, update.update_id + 1);
          this.dispatch(update);
        }
        await this.waitForCapacity(stop);
      } catch (error) {
        if (stop.aborted) break;
        if (this.consecutiveFailures + 1 >= this.giveUpAfterFailures) {
          this.consecutiveFailures += 1;
          this.lastError = describe(error);
          this.log.error({ event: 'polling_gave_up', failures: this.consecutiveFailures, error: this.lastError }, 'getUpdates failed too often; polling stops for good');
          this.gaveUp = true;
          break;
        }
        await this.backOff(error, stop);
      }
    }
    this.log.info({ offset: this.offset }, 'long polling stopped');
  }

  private recordSuccess(): void {
    if (this.consecutiveFailures > 0) {
      this.log.info({ event: 'polling_recovered', failures: this.consecutiveFailures }, 'Telegram answers again; polling resumed');
    }
    this.consecutiveFailures = 0;
    this.lastError = null;
    this.lastSuccessAt = Date.now();
  }

  private async backOff(error: unknown, stop: AbortSignal): Promise<void> {
    this.consecutiveFailures += 1;
    this.lastError = describe(error);
    const delayMs = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.min(this.consecutiveFailures - 1, 30));
    this.log.error(
      { event: 'polling_failed', failures: this.consecutiveFailures, retryInMs: delayMs, error: this.lastError },
      'getUpdates failed; polling keeps trying',
    );
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delayMs);
      function done(): void {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        resolve();
      }
      stop.addEventListener('abort', done, { once: true });
    });
  }

  private dispatch(update: Update): void {
    const key = orderingKey(update);
    const previous = this.chains.get(key) ?? Promise.resolve();
    this.inFlight += 1;
    const current = previous.then(() => this.handle(update));
    this.chains.set(key, current);
    void current.finally(() => {
      this.inFlight -= 1;
      if (this.chains.get(key) === current) this.chains.delete(key);
      for (const wake of this.capacityWaiters) wake();
    });
  }

  private async handle(update: Update): Promise<void> {
    try {
      await this.bot.handleUpdate(update);
    } catch (error) {
      // The bot's own error boundary answers the user; this only catches what escaped it.
      this.log.error({ updateId: update.update_id, error: describe(error) }, 'an update failed outside the error boundary');
    }
  }

  private async waitForCapacity(stop: AbortSignal): Promise<void> {
    while (this.inFlight >= this.maxConcurrent && !stop.aborted) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.capacityWaiters.delete(wake);
          stop.removeEventListener('abort', wake);
          resolve();
        };
        this.capacityWaiters.add(wake);
        stop.addEventListener('abort', wake, { once: true });
      });
    }
  }
}
