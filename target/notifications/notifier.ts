/**
 * The target's NotificationService (seed C9, B7, §6, §7.3): sends one
 * Telegram message and reports what became of it, never throwing.
 *
 * - 429 Too Many Requests: waits `retry_after` seconds (capped) and tries
 *   again, at most `maxRetries` times; then 'failed'.
 * - 403 Forbidden (the user blocked the bot, or the account is gone): marks
 *   the user blocked, logs a `job_skip` event, answers 'blocked'.
 * - Anything else (5xx, 400, network error, timeout): 'failed' at once; the
 *   next job run tries again (§3 "Notification" row).
 */
import type { Api, RawApi } from 'grammy';
import { GrammyError } from 'grammy';
import type { Logger } from 'pino';
import type { Notifier, SendOutcome } from '../contracts.ts';
import type { Db } from '../db/handle.ts';
import { markUserBlocked } from '../repos/users.ts';

export interface TelegramNotifierOptions {
  /** Retries after a 429 (default 3, as the seed's "retry 3x"). */
  maxRetries?: number;
  /** Upper bound of one wait, whatever retry_after says (default 30 000 ms). */
  maxRetryWaitMs?: number;
  /** Wait used when a 429 carries no retry_after (default 1000 ms). */
  defaultRetryWaitMs?: number;
  /** Called once for every 429 Telegram answers, for `telegram_api_429_total`. */
  onTooManyRequests?: () => void;
  /** Called with every outcome, for metrics. */
  onOutcome?: (outcome: SendOutcome) => void;
  /** Waiting between retries; replaceable in tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface TelegramNotifierDeps {
  /** grammY's Api: `bot.api`, or `new Api(token, { apiRoot })`. */
  api: Api<RawApi>;
  db: Db;
  logger: Logger;
}

const DEFAULTS = { maxRetries: 3, maxRetryWaitMs: 30_000, defaultRetryWaitMs: 1000 } as const;

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What the notifier does with one failed call. */
type FailureKind = { kind: 'rate-limited'; waitMs: number } | { kind: 'forbidden' } | { kind: 'other' };

function classify(error: unknown, defaultWaitMs: number): FailureKind {
  if (!(error instanceof GrammyError)) return { kind: 'other' };
  if (error.error_code === 429) {
    const retryAfter = error.parameters.retry_after;
    return { kind: 'rate-limited', waitMs: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter * 1000 : defaultWaitMs };
  }
  if (error.error_code === 403) return { kind: 'forbidden' };
  return { kind: 'other' };
}

function describe(error: unknown): { code: number | null; description: string } {
  if (error instanceof GrammyError) return { code: error.error_code, description: error.description };
  return { code: null, description: error instanceof Error ? error.message : String(error) };
}

/**
 * Builds the Notifier. Sabotage switches (from `deps.db.sabotage`):
 * `notify-429-retry` reports the first 429 as 'failed'; `notify-blocked`
 * rethrows the 403 to the caller.
 */
export function createTelegramNotifier(deps: TelegramNotifierDeps, options: TelegramNotifierOptions = {}): Notifier {
  const maxRetries = options.maxRetries ?? DEFAULTS.maxRetries;
  const maxWaitMs = options.maxRetryWaitMs ?? DEFAULTS.maxRetryWaitMs;
  const defaultWaitMs = options.defaultRetryWaitMs ?? DEFAULTS.defaultRetryWaitMs;
  const sleep = options.sleep ?? defaultSleep;
  const sabotage = deps.db.sabotage;
  const log = deps.logger.child({ component: 'notifier' });

  const finish = (outcome: SendOutcome): SendOutcome => {
    options.onOutcome?.(outcome);
    return outcome;
  };

  return {
    async send(chatId, text, sendOptions = {}) {
      const context = sendOptions.context;
      for (let attempt = 0; ; attempt += 1) {
        try {
          // The markup is passed through as given; Telegram validates it.
          const other = sendOptions.replyMarkup === undefined ? {} : { reply_markup: sendOptions.replyMarkup as never };
          await deps.api.sendMessage(chatId, text, other);
          return finish('sent');
        } catch (error) {
          const failure = classify(error, defaultWaitMs);
          const detail = describe(error);
          if (failure.kind === 'rate-limited') {
            options.onTooManyRequests?.();
            if (sabotage.has('notify-429-retry') || attempt >= maxRetries) {
              log.warn({ event: 'notify_failed', chatId, context, attempt: attempt + 1, ...detail }, 'Telegram kept answering 429; giving up on this message');
              return finish('failed');
            }
            const waitMs = Math.min(failure.waitMs, maxWaitMs);
            log.info({ event: 'notify_retry', chatId, context, attempt: attempt + 1, waitMs }, 'Telegram answered 429; retrying after retry_after');
            await sleep(waitMs);
            continue;
          }
          if (failure.kind === 'forbidden') {
            if (sabotage.has('notify-blocked')) throw error;
            await markUserBlocked(deps.db, chatId).catch((markError: unknown) => {
              log.warn({ chatId, error: describe(markError).description }, 'could not mark the user blocked; the next send will find out again');
            });
            log.info({ event: 'job_skip', reason: 'blocked', chatId, context, ...detail }, 'the user blocked the bot; message skipped');
            return finish('blocked');
          }
          log.warn({ event: 'notify_failed', chatId, context, attempt: attempt + 1, ...detail }, 'sending a message failed');
          return finish('failed');
        }
      }
    },
  };
}
