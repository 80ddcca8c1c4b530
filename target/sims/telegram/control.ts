/**
 * The harness's handle on the Telegram simulator, in process. The HTTP
 * control API (/_sim/…) is a thin layer over this object, and its methods
 * take the same bodies.
 */
import { parseControlBody } from '../shared/control-api.ts';
import type { LatencySetting } from '../shared/faults.ts';
import type { ForceErrorBody, FloodPatch, InjectCallbackQueryBody, InjectCommandBody, InjectMessageBody } from './control-schemas.ts';
import { FloodPatchSchema, ForceErrorSchema } from './control-schemas.ts';
import { defaultDescription } from './errors.ts';
import type { FloodLimits } from './flood-limiter.ts';
import type { InjectResult } from './injector.ts';
import { injectCallbackQuery, injectCommand, injectMessage } from './injector.ts';
import type { SentFilter, SentRecord } from './sent-log.ts';
import type { TelegramCounters, TelegramSimState } from './state.ts';
import { resetTelegramState } from './state.ts';
import type { TgUser, TgWebhookInfo } from './types.ts';
import { webhookInfo } from './update-methods.ts';
import { groupChatId, userId, virtualUser } from './virtual-users.ts';
import type { WebhookSender } from './webhook-sender.ts';

export interface TelegramSimStatus {
  bot: { id: number; username: string | undefined; token_bot_id: number };
  webhook: TgWebhookInfo;
  long_poll_waiting: boolean;
  pending_updates: number;
  chats: number;
  blocked_user_ids: number[];
  flood: FloodLimits;
  faults: ReturnType<TelegramSimState['faults']['snapshot']>;
  sent_records: number;
  counters: TelegramCounters;
}

export interface TelegramSimControl {
  /** Telegram id of virtual user N. */
  userId(n: number): number;
  /** Chat id of virtual group N. */
  groupChatId(n: number): number;
  /** The User object virtual user N appears as. */
  user(n: number): TgUser;
  injectMessage(body: InjectMessageBody): InjectResult;
  injectCommand(body: InjectCommandBody): InjectResult;
  injectCallbackQuery(body: InjectCallbackQueryBody): InjectResult;
  blockUser(n: number): void;
  unblockUser(n: number): void;
  /** The next `count` matching calls fail with this error. */
  forceError(body: ForceErrorBody): void;
  clearForcedErrors(): void;
  setLatency(latency: LatencySetting): void;
  /** Holds every Bot API call until cleared or `maxMs` passes. */
  hang(maxMs: number): void;
  clearHang(): void;
  /** Changes some flood limits; returns the limits now in force. */
  setFlood(patch: FloodPatch): FloodLimits;
  sent(filter?: SentFilter): SentRecord[];
  /** Calls `listener` for every new sent record; returns the unsubscribe function. */
  onSent(listener: (record: SentRecord) => void): () => void;
  webhookInfo(): TgWebhookInfo;
  counters(): TelegramCounters;
  status(): TelegramSimStatus;
  /** Back to the state right after build (options kept). */
  reset(): void;
}

export function createTelegramControl(state: TelegramSimState, sender: WebhookSender): TelegramSimControl {
  const ids = state.options.ids;
  return {
    userId: (n) => userId(ids, n),
    groupChatId: (n) => groupChatId(ids, n),
    user: (n) => virtualUser(ids, n),
    injectMessage: (body) => injectMessage(state, body),
    injectCommand: (body) => injectCommand(state, body),
    injectCallbackQuery: (body) => injectCallbackQuery(state, body),
    blockUser: (n) => {
      state.blocked.add(userId(ids, n));
    },
    unblockUser: (n) => {
      state.blocked.delete(userId(ids, n));
    },
    forceError: (input) => {
      const body = parseControlBody(ForceErrorSchema, input);
      const retryAfter = body.error_code === 429 ? (body.retry_after ?? 5) : body.retry_after;
      const description = body.description ?? (body.error_code === 429 ? `Too Many Requests: retry after ${retryAfter}` : defaultDescription(body.error_code));
      state.faults.force({
        count: body.count,
        methods: body.methods,
        failure: { error_code: body.error_code, description, ...(retryAfter !== undefined ? { retry_after: retryAfter } : {}) },
      });
    },
    clearForcedErrors: () => state.faults.clearForced(),
    setLatency: (latency) => state.faults.setLatency(latency),
    hang: (maxMs) => state.faults.hang(maxMs),
    clearHang: () => state.faults.clearHang(),
    setFlood: (input) => {
      const patch = parseControlBody(FloodPatchSchema, input);
      state.flood.set({ ...state.flood.current(), ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) });
      return state.flood.current();
    },
    sent: (filter = {}) => state.sent.query(filter),
    onSent: (listener) => state.sent.subscribe(listener),
    webhookInfo: () => webhookInfo(state),
    counters: () => structuredClone(state.counters),
    status: () => ({
      bot: { id: state.bot.id, username: state.bot.username, token_bot_id: state.options.botId },
      webhook: webhookInfo(state),
      long_poll_waiting: state.updates.polling(),
      pending_updates: state.updates.size,
      chats: state.chats.count(),
      blocked_user_ids: [...state.blocked],
      flood: state.flood.current(),
      faults: state.faults.snapshot(),
      sent_records: state.sent.size,
      counters: structuredClone(state.counters),
    }),
    reset: () => {
      sender.stop();
      resetTelegramState(state);
    },
  };
}
