/**
 * Bot API methods that act on chats: sendMessage, editMessageText,
 * editMessageReplyMarkup, deleteMessage, sendChatAction, answerCallbackQuery.
 * Checks run in the order the real server shows them: parameters, chat,
 * message, then blocked user, then flood limits.
 */
import type { ChatRecord } from './chat-store.ts';
import { TelegramApiError, TEXT, tooManyRequests } from './errors.ts';
import type { Params } from './params.ts';
import { isRecord, optionalBool, optionalInt, optionalJson, optionalString } from './params.ts';
import type { TelegramSimState } from './state.ts';
import type { TgInlineKeyboardButton, TgMessage, TgMessageEntity, TgUser } from './types.ts';

const MAX_TEXT_LENGTH = 4096;
const MAX_CALLBACK_DATA_BYTES = 64;
const PARSE_MODES = new Set(['HTML', 'Markdown', 'MarkdownV2']);

export interface CallContext {
  params: Params;
  /** Aborted when the client goes away (ends a long poll early). */
  signal: AbortSignal;
  now: number;
}

/** What a method returns inside `{ ok: true, result, description? }`. */
export interface MethodOutcome {
  result: unknown;
  description?: string;
}

function botAsUser(state: TelegramSimState): TgUser {
  return { id: state.bot.id, is_bot: true, first_name: state.bot.first_name, ...(state.bot.username ? { username: state.bot.username } : {}) };
}

function requireText(params: Params): string {
  const text = optionalString(params, 'text');
  if (text === undefined || text.trim() === '') throw new TelegramApiError(400, TEXT.textEmpty);
  if (text.length > MAX_TEXT_LENGTH) throw new TelegramApiError(400, TEXT.textTooLong);
  const parseMode = optionalString(params, 'parse_mode');
  if (parseMode !== undefined && parseMode !== '' && !PARSE_MODES.has(parseMode)) throw new TelegramApiError(400, TEXT.badParseMode);
  return text;
}

function readEntities(params: Params): TgMessageEntity[] | undefined {
  const raw = optionalJson(params, 'entities', TEXT.badEntities);
  if (raw === undefined) return undefined;
  const valid =
    Array.isArray(raw) &&
    raw.every((e) => isRecord(e) && typeof e.type === 'string' && Number.isInteger(e.offset) && Number.isInteger(e.length));
  if (!valid) throw new TelegramApiError(400, TEXT.badEntities);
  return raw as TgMessageEntity[];
}

/** The fields of an InlineKeyboardButton in the Bot API. */
const BUTTON_FIELDS: readonly string[] = [
  'text',
  'url',
  'callback_data',
  'web_app',
  'login_url',
  'switch_inline_query',
  'switch_inline_query_current_chat',
  'switch_inline_query_chosen_chat',
  'copy_text',
  'callback_game',
  'pay',
];

function knownButtonFields(button: TgInlineKeyboardButton): TgInlineKeyboardButton {
  const kept: TgInlineKeyboardButton = { text: button.text };
  for (const field of BUTTON_FIELDS) if (field !== 'text' && button[field] !== undefined) kept[field] = button[field];
  return kept;
}

/** Validates reply_markup; returns the inline keyboard a message keeps (other kinds are not kept). */
function readReplyMarkup(params: Params): { inline_keyboard: TgInlineKeyboardButton[][] } | undefined {
  const raw = optionalJson(params, 'reply_markup', TEXT.badMarkup);
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) throw new TelegramApiError(400, TEXT.badMarkup);
  if ('inline_keyboard' in raw) {
    const rows = raw.inline_keyboard;
    if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row) && row.every((b) => isRecord(b) && typeof b.text === 'string'))) {
      throw new TelegramApiError(400, TEXT.badMarkup);
    }
    // Telegram keeps only the fields it defines for a button: a client's own extras (telegraf
    // sends `hide: false`) are not in the Message it returns.
    const keyboard = (rows as TgInlineKeyboardButton[][]).map((row) => row.map(knownButtonFields));
    for (const button of keyboard.flat()) {
      if (button.callback_data !== undefined) {
        const data = button.callback_data;
        if (typeof data !== 'string' || Buffer.byteLength(data) < 1 || Buffer.byteLength(data) > MAX_CALLBACK_DATA_BYTES) {
          throw new TelegramApiError(400, TEXT.badButtonData);
        }
      }
    }
    return { inline_keyboard: keyboard };
  }
  if ('keyboard' in raw || 'remove_keyboard' in raw || 'force_reply' in raw) return undefined;
  throw new TelegramApiError(400, TEXT.badMarkup);
}

function replyTarget(params: Params, chat: ChatRecord): TgMessage | undefined {
  const replyParameters = optionalJson(params, 'reply_parameters', 'Bad Request: invalid reply parameters specified');
  let messageId: number | undefined;
  let allowWithout: boolean | undefined;
  if (isRecord(replyParameters)) {
    messageId = optionalInt(replyParameters, 'message_id');
    allowWithout = optionalBool(replyParameters, 'allow_sending_without_reply');
  } else {
    messageId = optionalInt(params, 'reply_to_message_id');
    allowWithout = optionalBool(params, 'allow_sending_without_reply');
  }
  if (messageId === undefined) return undefined;
  const target = chat.messages.get(messageId)?.message;
  if (!target && !allowWithout) throw new TelegramApiError(400, TEXT.replyNotFound);
  return target;
}

/** 403 when the user blocked the bot. */
function checkReachable(state: TelegramSimState, chat: ChatRecord): void {
  if (chat.chat.type === 'private' && state.blocked.has(chat.chat.id)) throw new TelegramApiError(403, TEXT.blocked);
}

/** Counts one message against the flood limits or refuses it with 429. */
function admitMessage(state: TelegramSimState, chat: ChatRecord, now: number): void {
  const retryAfter = state.flood.admit(chat.chat.id, chat.chat.type === 'private' ? 'private' : 'group', now);
  if (retryAfter > 0) throw tooManyRequests(retryAfter);
}

export function sendMessage(state: TelegramSimState, { params, now }: CallContext): MethodOutcome {
  const chat = state.chats.resolve(params.chat_id);
  const text = requireText(params);
  const entities = readEntities(params);
  const keyboard = readReplyMarkup(params);
  const replyTo = replyTarget(params, chat);
  checkReachable(state, chat);
  admitMessage(state, chat, now);
  const message: TgMessage = {
    message_id: state.chats.nextMessageId(chat),
    from: botAsUser(state),
    chat: chat.chat,
    date: Math.floor(now / 1000),
    text,
    ...(entities ? { entities } : {}),
    ...(keyboard ? { reply_markup: keyboard } : {}),
    ...(replyTo ? { reply_to_message: replyTo } : {}),
  };
  state.chats.store(chat, message, true);
  return { result: message };
}

/** The bot's own message that an edit or delete names by chat_id + message_id. */
function ownMessage(state: TelegramSimState, params: Params, notFound: string): { chat: ChatRecord; message: TgMessage } {
  if (optionalString(params, 'inline_message_id') !== undefined) throw new TelegramApiError(400, TEXT.inlineMessageUnsupported);
  const chat = state.chats.resolve(params.chat_id);
  const messageId = optionalInt(params, 'message_id');
  if (messageId === undefined) throw new TelegramApiError(400, TEXT.editIdMissing);
  const stored = chat.messages.get(messageId);
  if (!stored) throw new TelegramApiError(400, notFound);
  if (!stored.fromBot) throw new TelegramApiError(400, TEXT.editNotAllowed);
  return { chat, message: stored.message };
}

function applyEdit(state: TelegramSimState, chat: ChatRecord, message: TgMessage, next: Pick<TgMessage, 'text' | 'entities' | 'reply_markup'>, now: number): MethodOutcome {
  const same = next.text === message.text && JSON.stringify(next.reply_markup ?? null) === JSON.stringify(message.reply_markup ?? null);
  if (same) throw new TelegramApiError(400, TEXT.notModified);
  checkReachable(state, chat);
  admitMessage(state, chat, now);
  const edited: TgMessage = { ...message, ...next, edit_date: Math.floor(now / 1000) };
  if (next.entities === undefined) delete edited.entities;
  if (next.reply_markup === undefined) delete edited.reply_markup;
  state.chats.store(chat, edited, true);
  return { result: edited };
}

export function editMessageText(state: TelegramSimState, { params, now }: CallContext): MethodOutcome {
  const text = requireText(params);
  const entities = readEntities(params);
  const keyboard = readReplyMarkup(params);
  const { chat, message } = ownMessage(state, params, TEXT.editNotFound);
  return applyEdit(state, chat, message, { text, entities, reply_markup: keyboard }, now);
}

export function editMessageReplyMarkup(state: TelegramSimState, { params, now }: CallContext): MethodOutcome {
  const keyboard = readReplyMarkup(params);
  const { chat, message } = ownMessage(state, params, TEXT.editNotFound);
  return applyEdit(state, chat, message, { text: message.text, entities: message.entities, reply_markup: keyboard }, now);
}

export function deleteMessage(state: TelegramSimState, { params }: CallContext): MethodOutcome {
  const chat = state.chats.resolve(params.chat_id);
  const messageId = optionalInt(params, 'message_id');
  if (messageId === undefined || !chat.messages.has(messageId)) throw new TelegramApiError(400, 'Bad Request: message to delete not found');
  checkReachable(state, chat);
  chat.messages.delete(messageId);
  return { result: true };
}

export function sendChatAction(state: TelegramSimState, { params }: CallContext): MethodOutcome {
  const chat = state.chats.resolve(params.chat_id);
  const action = optionalString(params, 'action');
  if (action === undefined || action === '') throw new TelegramApiError(400, 'Bad Request: action is empty');
  checkReachable(state, chat);
  return { result: true };
}

export function answerCallbackQuery(state: TelegramSimState, { params, now }: CallContext): MethodOutcome {
  const id = optionalString(params, 'callback_query_id') ?? '';
  const query = state.callbackQueries.get(id);
  if (!query || query.answered || now - query.createdAt > state.options.callbackQueryTtlMs) {
    throw new TelegramApiError(400, TEXT.queryInvalid);
  }
  query.answered = true;
  return { result: true };
}
