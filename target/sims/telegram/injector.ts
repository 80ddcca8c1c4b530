/**
 * Updates from virtual users: a text message, a /command with its
 * bot_command entity, or a button press (callback_query) on a message the
 * bot sent. Each becomes an Update shaped as a real client's would be.
 */
import { ControlError, parseControlBody } from '../shared/control-api.ts';
import type { ChatRecord } from './chat-store.ts';
import type { InjectCallbackQueryBody, InjectCommandBody, InjectMessageBody } from './control-schemas.ts';
import { InjectCallbackQuerySchema, InjectCommandSchema, InjectMessageSchema } from './control-schemas.ts';
import type { TelegramSimState } from './state.ts';
import type { TgMessage, TgMessageEntity, TgUpdate, TgUpdateType, TgUser } from './types.ts';
import type { UserProfile } from './virtual-users.ts';
import { groupChat, privateChat, virtualUser } from './virtual-users.ts';

/** What an injection answers. */
export interface InjectResult {
  /** null when allowed_updates excludes this kind: the update was never created. */
  update_id: number | null;
  queued: boolean;
  chat_id: number;
  user_id: number;
  message_id: number;
  /** Epoch milliseconds of the injection; reply latency is measured from here. */
  injected_at: number;
  callback_query_id?: string;
}

let callbackSequence = 0;

/** Callback queries remembered before expired ones are swept out. */
const MAX_CALLBACK_QUERIES = 100_000;

function forgetExpiredQueries(state: TelegramSimState, now: number): void {
  for (const [id, query] of state.callbackQueries) {
    if (query.answered || now - query.createdAt > state.options.callbackQueryTtlMs) state.callbackQueries.delete(id);
  }
}

function sender(state: TelegramSimState, user: number, group: number | undefined, profile: UserProfile): { from: TgUser; chat: ChatRecord } {
  const from = virtualUser(state.options.ids, user, profile);
  // A user who blocked the bot has to unblock it before they can write to it again.
  state.blocked.delete(from.id);
  const chat = group === undefined ? state.chats.touch(privateChat(from), user) : state.chats.touch(groupChat(state.options.ids, group), group);
  return { from, chat };
}

function enqueue(state: TelegramSimState, build: (updateId: number) => TgUpdate, type: TgUpdateType, chatId: number, injectedAt: number): number | null {
  if (state.allowedUpdates !== null && !state.allowedUpdates.includes(type)) return null;
  const updateId = state.updates.nextUpdateId();
  state.counters.updates_injected += 1;
  state.updates.push({ update: build(updateId), type, chatId, injectedAt });
  return updateId;
}

function injectText(state: TelegramSimState, user: number, group: number | undefined, profile: UserProfile, text: string, entities?: TgMessageEntity[]): InjectResult {
  const injectedAt = Date.now();
  const { from, chat } = sender(state, user, group, profile);
  const message: TgMessage = {
    message_id: state.chats.nextMessageId(chat),
    from,
    chat: chat.chat,
    date: Math.floor(injectedAt / 1000),
    text,
    ...(entities ? { entities } : {}),
  };
  state.chats.store(chat, message, false);
  const updateId = enqueue(state, (update_id) => ({ update_id, message }), 'message', chat.chat.id, injectedAt);
  return { update_id: updateId, queued: updateId !== null, chat_id: chat.chat.id, user_id: from.id, message_id: message.message_id, injected_at: injectedAt };
}

function profileOf(body: UserProfile): UserProfile {
  const { first_name, last_name, username, language_code } = body;
  return { first_name, last_name, username, language_code };
}

export function injectMessage(state: TelegramSimState, input: InjectMessageBody): InjectResult {
  const body = parseControlBody(InjectMessageSchema, input);
  return injectText(state, body.user, body.group, profileOf(body), body.text);
}

export function injectCommand(state: TelegramSimState, input: InjectCommandBody): InjectResult {
  const body = parseControlBody(InjectCommandSchema, input);
  const command = body.command.startsWith('/') ? body.command : `/${body.command}`;
  const text = body.args ? `${command} ${body.args}` : command;
  return injectText(state, body.user, body.group, profileOf(body), text, [{ type: 'bot_command', offset: 0, length: command.length }]);
}

export function injectCallbackQuery(state: TelegramSimState, input: InjectCallbackQueryBody): InjectResult {
  const body = parseControlBody(InjectCallbackQuerySchema, input);
  const injectedAt = Date.now();
  const { from, chat } = sender(state, body.user, body.group, profileOf(body));
  const message = body.message_id === undefined ? state.chats.latestBotKeyboardMessage(chat) : chat.messages.get(body.message_id)?.message;
  if (!message) {
    throw new ControlError(
      409,
      'no_such_message',
      body.message_id === undefined
        ? `the bot has sent no message with an inline keyboard to chat ${chat.chat.id}`
        : `chat ${chat.chat.id} has no message ${body.message_id}`,
    );
  }
  callbackSequence += 1;
  const id = `${from.id}${String(callbackSequence).padStart(8, '0')}`;
  const chatInstance = String(Math.abs(chat.chat.id) * 7 + 1_000_000_007);
  const updateId = enqueue(
    state,
    (update_id) => ({ update_id, callback_query: { id, from, message, chat_instance: chatInstance, data: body.data } }),
    'callback_query',
    chat.chat.id,
    injectedAt,
  );
  if (updateId !== null) {
    if (state.callbackQueries.size >= MAX_CALLBACK_QUERIES) forgetExpiredQueries(state, injectedAt);
    state.callbackQueries.set(id, { updateId, chatId: chat.chat.id, injectedAt, createdAt: injectedAt, answered: false });
  }
  return {
    update_id: updateId,
    queued: updateId !== null,
    chat_id: chat.chat.id,
    user_id: from.id,
    message_id: message.message_id,
    injected_at: injectedAt,
    callback_query_id: id,
  };
}
