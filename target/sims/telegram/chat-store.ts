/**
 * The chats the bot can reach and the messages in them. Message ids count up
 * per chat and are shared by both sides of a private chat, as in Telegram.
 */
import { TelegramApiError, TEXT } from './errors.ts';
import type { TgChat, TgMessage } from './types.ts';
import type { VirtualIds } from './virtual-users.ts';
import { decodeChatId, groupChat, privateChat, virtualUser } from './virtual-users.ts';

export interface StoredMessage {
  message: TgMessage;
  fromBot: boolean;
}

export interface ChatRecord {
  chat: TgChat;
  /** Virtual user or group number. */
  n: number;
  lastMessageId: number;
  messages: Map<number, StoredMessage>;
}

/** Messages kept per chat (for edits and callback queries); older ones are forgotten. */
const MESSAGES_PER_CHAT = 500;

export class ChatStore {
  private readonly chats = new Map<number, ChatRecord>();
  private readonly ids: VirtualIds;
  private readonly acceptUnseen: boolean;

  /**
   * @param acceptUnseen whether the bot may write to a virtual user or group
   *   that never wrote to it (the harness seeds users straight into the database)
   */
  constructor(ids: VirtualIds, acceptUnseen: boolean) {
    this.ids = ids;
    this.acceptUnseen = acceptUnseen;
  }

  /** The chat record for `chat`, created when first seen (an injected update). */
  touch(chat: TgChat, n: number): ChatRecord {
    let record = this.chats.get(chat.id);
    if (!record) {
      record = { chat, n, lastMessageId: 0, messages: new Map() };
      this.chats.set(chat.id, record);
    } else {
      record.chat = chat;
    }
    return record;
  }

  get(chatId: number): ChatRecord | undefined {
    return this.chats.get(chatId);
  }

  /** The chat a `chat_id` parameter names; throws Telegram's errors for a missing or unknown one. */
  resolve(chatIdParam: unknown): ChatRecord {
    if (chatIdParam === undefined || chatIdParam === null || chatIdParam === '') throw new TelegramApiError(400, TEXT.chatIdEmpty);
    const numeric = typeof chatIdParam === 'number' ? chatIdParam : typeof chatIdParam === 'string' && /^-?\d+$/.test(chatIdParam.trim()) ? Number(chatIdParam) : null;
    if (numeric === null) throw new TelegramApiError(400, TEXT.chatNotFound);
    const known = this.chats.get(numeric);
    if (known) return known;
    const decoded = this.acceptUnseen ? decodeChatId(this.ids, numeric) : null;
    if (!decoded) throw new TelegramApiError(400, TEXT.chatNotFound);
    const chat = decoded.kind === 'private' ? privateChat(virtualUser(this.ids, decoded.n)) : groupChat(this.ids, decoded.n);
    return this.touch(chat, decoded.n);
  }

  nextMessageId(record: ChatRecord): number {
    record.lastMessageId += 1;
    return record.lastMessageId;
  }

  store(record: ChatRecord, message: TgMessage, fromBot: boolean): void {
    record.messages.set(message.message_id, { message, fromBot });
    if (record.messages.size > MESSAGES_PER_CHAT) {
      const oldest = record.messages.keys().next().value;
      if (oldest !== undefined) record.messages.delete(oldest);
    }
  }

  /** The newest message the bot sent in this chat that has an inline keyboard. */
  latestBotKeyboardMessage(record: ChatRecord): TgMessage | undefined {
    const messages = [...record.messages.values()].reverse();
    return messages.find((stored) => stored.fromBot && stored.message.reply_markup !== undefined)?.message;
  }

  count(): number {
    return this.chats.size;
  }

  clear(): void {
    this.chats.clear();
  }
}
