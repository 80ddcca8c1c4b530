/** Users: registered on /start, marked blocked when Telegram answers 403 (C9, §7.3). */
import type { Db } from '../db/handle.ts';
import { queryRepeatable } from '../db/query.ts';
import { toSafeInteger } from '../db/sql-values.ts';

export interface User {
  id: number;
  telegramId: number;
  username: string | null;
  firstName: string | null;
  languageCode: string | null;
  isBlocked: boolean;
  /** Minor units; never negative. */
  balance: number;
  createdAt: Date;
}

/** What a Telegram update tells us about its sender. */
export interface TelegramProfile {
  telegramId: number;
  username?: string | null;
  firstName?: string | null;
  languageCode?: string | null;
}

type UserRow = {
  id: string;
  telegram_id: string;
  username: string | null;
  first_name: string | null;
  language_code: string | null;
  is_blocked: boolean;
  balance: string;
  created_at: Date;
};

export const USER_COLUMNS = 'id, telegram_id, username, first_name, language_code, is_blocked, balance, created_at';

export function userFromRow(row: UserRow): User {
  return {
    id: toSafeInteger(row.id, 'users.id'),
    telegramId: toSafeInteger(row.telegram_id, 'users.telegram_id'),
    username: row.username,
    firstName: row.first_name,
    languageCode: row.language_code,
    isBlocked: row.is_blocked,
    balance: toSafeInteger(row.balance, 'users.balance'),
    createdAt: row.created_at,
  };
}

/**
 * /start: creates the user or refreshes its profile. A user who writes to the
 * bot has unblocked it, so `is_blocked` is cleared. Repeatable (an upsert);
 * after a retry `created` may say false for a row this very call created.
 */
export async function registerOrGetUser(db: Db, profile: TelegramProfile): Promise<{ user: User; created: boolean }> {
  const { rows } = await queryRepeatable<UserRow & { created: boolean }>(
    db,
    `INSERT INTO users (telegram_id, username, first_name, language_code)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT ON CONSTRAINT users_telegram_id_unique DO UPDATE
       SET username = EXCLUDED.username,
           first_name = EXCLUDED.first_name,
           language_code = EXCLUDED.language_code,
           is_blocked = false,
           blocked_at = NULL,
           updated_at = now()
     RETURNING ${USER_COLUMNS}, (xmax = 0) AS created`,
    [profile.telegramId, profile.username ?? null, profile.firstName ?? null, profile.languageCode ?? null],
  );
  const row = rows[0];
  if (!row) throw new Error('upsert of a user returned no row');
  return { user: userFromRow(row), created: row.created };
}

/** Telegram said 403 for this chat: stop sending to it. True when such a user exists. Repeatable. */
export async function markUserBlocked(db: Db, telegramId: number): Promise<boolean> {
  const { rowCount } = await queryRepeatable(
    db,
    `UPDATE users SET is_blocked = true, blocked_at = coalesce(blocked_at, now()), updated_at = now()
     WHERE telegram_id = $1`,
    [telegramId],
  );
  return (rowCount ?? 0) > 0;
}

export async function getUser(db: Db, userId: number): Promise<User | null> {
  const { rows } = await queryRepeatable<UserRow>(db, `SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
  return rows[0] ? userFromRow(rows[0]) : null;
}

export async function getUserByTelegramId(db: Db, telegramId: number): Promise<User | null> {
  const { rows } = await queryRepeatable<UserRow>(db, `SELECT ${USER_COLUMNS} FROM users WHERE telegram_id = $1`, [telegramId]);
  return rows[0] ? userFromRow(rows[0]) : null;
}
