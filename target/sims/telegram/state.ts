/**
 * Everything the Telegram simulator knows, in one place: its options with
 * defaults filled in, the bot, chats, pending updates, webhook, blocked
 * users, callback queries, limits, faults, the sent log and the counters.
 */
import type { SimTls } from '../shared/tls-listener.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { RetryPolicy } from '../shared/backoff.ts';
import { resolveRetryPolicy } from '../shared/backoff.ts';
import { FaultPlan } from '../shared/faults.ts';
import { ChatStore } from './chat-store.ts';
import type { FloodLimits } from './flood-limiter.ts';
import { DEFAULT_FLOOD_LIMITS, FloodLimiter } from './flood-limiter.ts';
import { SentLog } from './sent-log.ts';
import type { TgBotUser, TgUpdateType } from './types.ts';
import { UpdateQueue } from './update-queue.ts';
import type { VirtualIds } from './virtual-users.ts';
import { DEFAULT_VIRTUAL_IDS } from './virtual-users.ts';

/** Options of buildTelegramSim; every one has a default. */
export interface TelegramSimOptions {
  /** The one token the simulator accepts, "<bot id>:<secret>". */
  token?: string;
  botUsername?: string;
  botFirstName?: string;
  /** Where virtual user and group ids start (see virtual-users.ts). */
  userIdBase?: number;
  groupIdBase?: number;
  /** Let the bot write to virtual users/groups that never wrote to it (default true). */
  acceptUnseenVirtualChats?: boolean;
  /** Cap on getUpdates' timeout, seconds (default 50). */
  maxLongPollSeconds?: number;
  /** How long a callback query can be answered, ms (default 15 000). */
  callbackQueryTtlMs?: number;
  /** update_id of the first update (default 1). */
  firstUpdateId?: number;
  /** Flood limits; see flood-limiter.ts for the defaults. */
  flood?: Partial<FloodLimits>;
  /** Webhook redelivery (default 500 ms doubling to 30 s, 10 attempts, within 10 min). */
  webhookRetry?: Partial<RetryPolicy>;
  /** How long one webhook POST may take (default 10 000 ms). */
  webhookTimeoutMs?: number;
  /** Sent-log records kept (default 100 000). */
  maxSentRecords?: number;
  /** Longest a live sent-stream stays open, ms (default 1 h). */
  maxStreamMs?: number;
  /** When set, /_sim/* requires it in the x-sim-control-token header. */
  controlToken?: string;
  /** Request logs; silent when left out. */
  logger?: FastifyBaseLogger;
  /** Certificate and key: the port answers HTTPS as well as HTTP (see shared/tls-listener.ts). */
  tls?: SimTls;
}

export interface ResolvedTelegramOptions {
  token: string;
  botId: number;
  botUsername: string;
  botFirstName: string;
  ids: VirtualIds;
  acceptUnseenVirtualChats: boolean;
  maxLongPollSeconds: number;
  callbackQueryTtlMs: number;
  firstUpdateId: number;
  flood: FloodLimits;
  webhookRetry: RetryPolicy;
  webhookTimeoutMs: number;
  maxSentRecords: number;
  maxStreamMs: number;
  controlToken: string | undefined;
}

export const DEFAULT_TELEGRAM_TOKEN = '7000000001:AAHsimulatedTokenForChaosctlTests000';

export const DEFAULT_WEBHOOK_RETRY: RetryPolicy = { initialDelayMs: 500, factor: 2, maxDelayMs: 30_000, maxAttempts: 10, horizonMs: 600_000 };

export function resolveTelegramOptions(options: TelegramSimOptions): ResolvedTelegramOptions {
  const token = options.token ?? DEFAULT_TELEGRAM_TOKEN;
  const match = /^(\d+):[A-Za-z0-9_-]+$/.exec(token);
  if (!match?.[1]) throw new Error(`telegram sim: token must look like "<bot id>:<secret>", got "${token}"`);
  const maxLongPollSeconds = options.maxLongPollSeconds ?? 50;
  if (!(maxLongPollSeconds > 0 && maxLongPollSeconds <= 600)) throw new Error('telegram sim: maxLongPollSeconds must be in (0, 600]');
  return {
    token,
    botId: Number(match[1]),
    botUsername: options.botUsername ?? 'chaosctl_sim_bot',
    botFirstName: options.botFirstName ?? 'Habit Tracker (sim)',
    ids: { userIdBase: options.userIdBase ?? DEFAULT_VIRTUAL_IDS.userIdBase, groupIdBase: options.groupIdBase ?? DEFAULT_VIRTUAL_IDS.groupIdBase },
    acceptUnseenVirtualChats: options.acceptUnseenVirtualChats ?? true,
    maxLongPollSeconds,
    callbackQueryTtlMs: options.callbackQueryTtlMs ?? 15_000,
    firstUpdateId: options.firstUpdateId ?? 1,
    flood: { ...DEFAULT_FLOOD_LIMITS, ...options.flood },
    webhookRetry: resolveRetryPolicy(DEFAULT_WEBHOOK_RETRY, options.webhookRetry),
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    maxSentRecords: options.maxSentRecords ?? 100_000,
    maxStreamMs: options.maxStreamMs ?? 3_600_000,
    controlToken: options.controlToken,
  };
}

/** A forced Bot API error, as the control API queues it. */
export interface ForcedTelegramError {
  error_code: number;
  description: string;
  retry_after?: number;
}

export interface CallbackQueryRecord {
  updateId: number;
  chatId: number;
  injectedAt: number;
  createdAt: number;
  answered: boolean;
}

export interface WebhookConfig {
  url: string;
  secretToken: string | null;
  maxConnections: number;
  allowedUpdates: string[] | null;
}

export interface TelegramCounters {
  calls: Record<string, number>;
  errors: Record<string, number>;
  too_many_requests: number;
  forbidden: number;
  updates_injected: number;
  updates_handed_out: number;
  webhook_attempts: number;
  webhook_failures: number;
  webhook_dropped: number;
}

export function emptyCounters(): TelegramCounters {
  return {
    calls: {},
    errors: {},
    too_many_requests: 0,
    forbidden: 0,
    updates_injected: 0,
    updates_handed_out: 0,
    webhook_attempts: 0,
    webhook_failures: 0,
    webhook_dropped: 0,
  };
}

export interface TelegramSimState {
  options: ResolvedTelegramOptions;
  bot: TgBotUser;
  chats: ChatStore;
  updates: UpdateQueue;
  /** Ids of users who blocked the bot. */
  blocked: Set<number>;
  callbackQueries: Map<string, CallbackQueryRecord>;
  /** Latest update handed to the bot per chat: what a reply in that chat most likely answers. */
  handedOut: Map<number, { updateId: number; injectedAt: number }>;
  /** allowed_updates of the last getUpdates/setWebhook that named some; null: all kinds. */
  allowedUpdates: TgUpdateType[] | null;
  webhook: WebhookConfig | null;
  webhookLastError: { date: number; message: string } | null;
  flood: FloodLimiter;
  faults: FaultPlan<ForcedTelegramError>;
  sent: SentLog;
  counters: TelegramCounters;
}

export function createTelegramState(options: ResolvedTelegramOptions): TelegramSimState {
  return {
    options,
    bot: {
      id: options.botId,
      is_bot: true,
      first_name: options.botFirstName,
      username: options.botUsername,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    },
    chats: new ChatStore(options.ids, options.acceptUnseenVirtualChats),
    updates: new UpdateQueue(options.firstUpdateId),
    blocked: new Set(),
    callbackQueries: new Map(),
    handedOut: new Map(),
    allowedUpdates: null,
    webhook: null,
    webhookLastError: null,
    flood: new FloodLimiter(options.flood),
    faults: new FaultPlan<ForcedTelegramError>(),
    sent: new SentLog(options.maxSentRecords),
    counters: emptyCounters(),
  };
}

/** Back to the state right after build, keeping the options. */
export function resetTelegramState(state: TelegramSimState): void {
  state.updates.reset();
  state.chats.clear();
  state.blocked.clear();
  state.callbackQueries.clear();
  state.handedOut.clear();
  state.allowedUpdates = null;
  state.webhook = null;
  state.webhookLastError = null;
  state.flood.set(state.options.flood);
  state.faults.reset();
  state.sent.clear();
  state.counters = emptyCounters();
}

/** Remembers that these updates reached the bot, for reply attribution. */
export function noteHandedOut(state: TelegramSimState, handed: readonly { update: { update_id: number }; chatId: number; injectedAt: number }[]): void {
  for (const q of handed) {
    state.handedOut.set(q.chatId, { updateId: q.update.update_id, injectedAt: q.injectedAt });
  }
  state.counters.updates_handed_out += handed.length;
}
