/**
 * The Bot API objects the simulator produces, with the field names of the
 * published API (https://core.telegram.org/bots/api). Only the fields the
 * simulator fills are listed.
 */

export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** The bot itself, as getMe returns it. */
export interface TgBotUser extends TgUser {
  is_bot: true;
  can_join_groups: boolean;
  can_read_all_group_messages: boolean;
  supports_inline_queries: boolean;
  can_connect_to_business: boolean;
  has_main_web_app: boolean;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group';
  first_name?: string;
  last_name?: string;
  username?: string;
  title?: string;
}

export interface TgMessageEntity {
  type: string;
  offset: number;
  length: number;
}

export interface TgInlineKeyboardButton {
  text: string;
  callback_data?: string;
  url?: string;
  [key: string]: unknown;
}

/** reply_markup in any of its four forms; only inline keyboards are kept on messages. */
export type TgReplyMarkup =
  | { inline_keyboard: TgInlineKeyboardButton[][] }
  | { keyboard: unknown[][]; [key: string]: unknown }
  | { remove_keyboard: true; [key: string]: unknown }
  | { force_reply: true; [key: string]: unknown };

export interface TgMessage {
  message_id: number;
  from?: TgUser;
  chat: TgChat;
  date: number;
  edit_date?: number;
  text?: string;
  entities?: TgMessageEntity[];
  reply_markup?: { inline_keyboard: TgInlineKeyboardButton[][] };
  reply_to_message?: TgMessage;
}

export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message: TgMessage;
  chat_instance: string;
  data?: string;
}

export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  callback_query?: TgCallbackQuery;
}

/** The kinds of update this simulator creates (names as in allowed_updates). */
export type TgUpdateType = 'message' | 'callback_query';

/** Answer to getWebhookInfo. */
export interface TgWebhookInfo {
  url: string;
  has_custom_certificate: boolean;
  pending_update_count: number;
  max_connections?: number;
  allowed_updates?: string[];
  last_error_date?: number;
  last_error_message?: string;
}

/** The response envelope of every Bot API call. */
export type TgEnvelope =
  | { ok: true; result: unknown; description?: string }
  | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number; migrate_to_chat_id?: number } };
