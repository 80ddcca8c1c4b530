/**
 * The habit-tracker bot: grammY with the middlewares of the seed, in order
 *
 *   error boundary → throttling (C11) → user context + transaction (C1) → handlers
 *
 * and two ways to receive updates: long polling (UpdatePoller: concurrent
 * across chats, ordered within one, self-healing) or a webhook handler for
 * fastify (B8). Also builds the BotReachability that /health uses.
 */
import { Bot, webhookCallback } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { Logger } from 'pino';
import type { BotReachability } from '../contracts.ts';
import type { Db } from '../db/handle.ts';
import { registerOrGetUser } from '../repos/users.ts';
import type { BotContext } from './context.ts';
import { TEXT } from './context.ts';
import type { BotPayments, SubscriptionPlan } from './handlers.ts';
import { createHandlers } from './handlers.ts';
import type { PollerOptions, PollerStatus } from './poller.ts';
import { UpdatePoller } from './poller.ts';
import type { BotReachabilityOptions } from './reachability.ts';
import { createBotReachability } from './reachability.ts';
import type { RateLimitStore } from './throttle.ts';
import { MemoryRateLimitStore, throttleMiddleware } from './throttle.ts';
import { withUpdateTransaction } from './update-transaction.ts';

export interface BotConfig {
  /** Telegram ids allowed to use /analytics. */
  adminTelegramIds?: readonly number[];
  /** Updates per user per window that reach a handler (default 30). */
  throttleLimit?: number;
  /** Default 60 000 ms. */
  throttleWindowMs?: number;
  /** One "Too many requests" reply per window when throttled (default false: the seed says no reply). */
  throttleReply?: boolean;
  /** Conversation state older than this counts as gone (default 24 h). */
  staleStateTtlMs?: number;
  /** /subscribe plans by name; default `month` and `year`. */
  plans?: Readonly<Record<string, SubscriptionPlan>>;
  /** Default RUB. */
  currency?: string;
}

export interface CreateBotDeps {
  token: string;
  /** Bot API root, e.g. the simulator's `http://127.0.0.1:PORT`; default Telegram's. */
  apiRoot?: string;
  /** Sabotage switches come from `db.sabotage`. */
  db: Db;
  logger: Logger;
  config?: BotConfig;
  /** Shared counts for several instances (B3); default per process. */
  rateLimitStore?: RateLimitStore;
  /** /topup hook; absent: /topup answers that payments are unavailable. */
  payments?: BotPayments;
  /** The clock for "today" in habit_done (default the system clock). */
  now?: () => Date;
  /** Bound of every Bot API call except the long poll (default 30 s). */
  apiTimeoutSeconds?: number;
  polling?: PollerOptions;
  reachability?: BotReachabilityOptions;
  /** Known bot identity: skips the getMe grammY needs before the first update. */
  botInfo?: UserFromGetMe;
  /** Called for every update the rate limit drops (metrics). */
  onThrottled?: () => void;
  /** Called with the duration (seconds) of every admin dashboard read (metrics, L3). */
  onAnalyticsRead?: (seconds: number) => void;
}

export interface HabitBot {
  bot: Bot<BotContext>;
  /** Starts long polling in the background (deleting any webhook first); returns at once. */
  startPolling(): void;
  /** Stops polling, waits for updates in flight. Safe to call twice and without a start. */
  stop(): Promise<void>;
  /** Polling health: failures in a row, last error, updates in flight; null before startPolling. */
  pollingStatus(): PollerStatus | null;
  /** A fastify route handler for webhook mode; checks X-Telegram-Bot-Api-Secret-Token when `secretToken` is given. */
  webhookHandler(options?: { secretToken?: string; timeoutMs?: number }): FastifyWebhookHandler;
  /** Tells Telegram to deliver to `url` (webhook mode). */
  setWebhook(url: string, secretToken?: string): Promise<void>;
  reachability: BotReachability;
}

/** What grammY's fastify adapter returns: mount it as a POST route. */
export type FastifyWebhookHandler = ReturnType<typeof webhookCallback<BotContext, 'fastify'>>;

export const DEFAULT_PLANS: Readonly<Record<string, SubscriptionPlan>> = {
  month: { price: 19_900, periodDays: 30 },
  year: { price: 199_000, periodDays: 365 },
};

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function createBot(deps: CreateBotDeps): HabitBot {
  const config = deps.config ?? {};
  const sabotage = deps.db.sabotage;
  const log = deps.logger.child({ component: 'bot' });
  const pollTimeoutSeconds = deps.polling?.pollTimeoutSeconds ?? 25;
  const bot = new Bot<BotContext>(deps.token, {
    client: {
      ...(deps.apiRoot ? { apiRoot: deps.apiRoot } : {}),
      // grammY applies this to every call, the long poll included.
      timeoutSeconds: Math.max(deps.apiTimeoutSeconds ?? 30, pollTimeoutSeconds + 10),
    },
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
  });

  // Error boundary: whatever a later middleware throws (after the transaction
  // rolled back), the user gets a short answer and the bot carries on.
  bot.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      log.error({ event: 'handler_failed', updateId: ctx.update.update_id, userId: ctx.from?.id, error: describe(error) }, 'an update failed; its writes were rolled back');
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: TEXT.error }).catch(() => undefined);
      else if (ctx.chat) await ctx.reply(TEXT.error).catch(() => undefined);
    }
  });

  bot.use(
    throttleMiddleware({
      store: deps.rateLimitStore ?? new MemoryRateLimitStore(),
      limit: config.throttleLimit ?? 30,
      windowMs: config.throttleWindowMs ?? 60_000,
      replyWhenThrottled: config.throttleReply ?? false,
      disabled: sabotage.has('throttle'),
      logger: log,
      ...(deps.onThrottled ? { onThrottled: deps.onThrottled } : {}),
    }),
  );

  // User context (C1): register the sender, then run the rest in one transaction.
  bot.use(async (ctx, next) => {
    const from = ctx.from;
    if (!from || from.is_bot) return;
    // Registration is an idempotent upsert, committed on its own so that a
    // failing handler does not undo it (and a payments call on another
    // connection sees the user).
    const { user } = await registerOrGetUser(deps.db, {
      telegramId: from.id,
      username: from.username ?? null,
      firstName: from.first_name,
      languageCode: from.language_code ?? null,
    });
    if (sabotage.has('rollback')) {
      ctx.scope = { user, db: deps.db };
      await next();
      return;
    }
    await withUpdateTransaction(deps.db, async (tx) => {
      ctx.scope = { user, db: tx };
      await next();
    });
  });

  bot.use(
    createHandlers({
      adminTelegramIds: new Set(config.adminTelegramIds ?? []),
      staleStateTtlMs: config.staleStateTtlMs ?? 24 * 60 * 60 * 1000,
      plans: config.plans ?? DEFAULT_PLANS,
      currency: config.currency ?? 'RUB',
      payments: deps.payments,
      sabotage,
      now: deps.now ?? (() => new Date()),
      ...(deps.onAnalyticsRead ? { onAnalyticsRead: deps.onAnalyticsRead } : {}),
    }),
  );

  // Only reached by bot.start(), which this module does not use; kept so nothing escapes unlogged.
  bot.catch((error) => log.error({ error: describe(error.error) }, 'unhandled bot error'));

  let poller: UpdatePoller<BotContext> | null = null;
  const reachability = createBotReachability(bot.api, deps.reachability);

  return {
    bot,
    reachability,
    startPolling() {
      poller ??= new UpdatePoller(bot, deps.logger, { ...deps.polling, pollTimeoutSeconds });
      poller.start();
    },
    async stop() {
      await poller?.stop();
    },
    pollingStatus: () => poller?.status() ?? null,
    webhookHandler(options = {}) {
      return webhookCallback(bot, 'fastify', {
        // Answer Telegram in time and keep handling: a late answer would make it redeliver the update.
        onTimeout: 'return',
        timeoutMilliseconds: options.timeoutMs ?? 10_000,
        ...(options.secretToken ? { secretToken: options.secretToken } : {}),
      });
    },
    async setWebhook(url, secretToken) {
      await bot.api.setWebhook(url, { ...(secretToken ? { secret_token: secretToken } : {}), allowed_updates: ['message', 'callback_query'] });
    },
  };
}
