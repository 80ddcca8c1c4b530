/**
 * Virtual users and groups: user N and group N of a scenario map to fixed
 * Telegram ids, so the harness can seed a database with ids the simulator
 * will recognise, and every injected update looks like one from a real client.
 */
import type { TgChat, TgUser } from './types.ts';

/** Highest N of a virtual user or group. */
export const MAX_VIRTUAL_NUMBER = 100_000_000;

export interface VirtualIds {
  /** User N has id userIdBase + N (a positive id, like every Telegram user). */
  userIdBase: number;
  /** Group N has id -(groupIdBase + N) (negative, like every Telegram group). */
  groupIdBase: number;
}

export const DEFAULT_VIRTUAL_IDS: VirtualIds = { userIdBase: 100_000_000, groupIdBase: 100_000_000 };

/** Overrides of a virtual user's profile on injection. */
export interface UserProfile {
  first_name?: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

export function userId(ids: VirtualIds, n: number): number {
  return ids.userIdBase + n;
}

export function groupChatId(ids: VirtualIds, n: number): number {
  return -(ids.groupIdBase + n);
}

/** Which virtual user or group a chat id belongs to, if any. */
export function decodeChatId(ids: VirtualIds, chatId: number): { kind: 'private' | 'group'; n: number } | null {
  if (!Number.isSafeInteger(chatId)) return null;
  if (chatId > 0) {
    const n = chatId - ids.userIdBase;
    return n >= 1 && n <= MAX_VIRTUAL_NUMBER ? { kind: 'private', n } : null;
  }
  const n = -chatId - ids.groupIdBase;
  return n >= 1 && n <= MAX_VIRTUAL_NUMBER ? { kind: 'group', n } : null;
}

export function virtualUser(ids: VirtualIds, n: number, profile: UserProfile = {}): TgUser {
  return {
    id: userId(ids, n),
    is_bot: false,
    first_name: profile.first_name ?? `User ${n}`,
    ...(profile.last_name !== undefined ? { last_name: profile.last_name } : {}),
    username: profile.username ?? `sim_user_${n}`,
    language_code: profile.language_code ?? 'en',
  };
}

export function privateChat(user: TgUser): TgChat {
  return {
    id: user.id,
    type: 'private',
    first_name: user.first_name,
    ...(user.last_name !== undefined ? { last_name: user.last_name } : {}),
    ...(user.username !== undefined ? { username: user.username } : {}),
  };
}

export function groupChat(ids: VirtualIds, n: number): TgChat {
  return { id: groupChatId(ids, n), type: 'group', title: `Sim group ${n}` };
}
