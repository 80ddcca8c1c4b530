/**
 * Conversation state of the bot's multi-step flows, in PostgreSQL
 * (migration 004_conversations.sql), so it survives restarts and is shared by
 * every bot instance. A row older than the stale-state TTL counts as gone
 * (C10: the user comes back a day later and is not stuck).
 */
import type { Db } from '../db/handle.ts';
import { queryRepeatable } from '../db/query.ts';

export interface Conversation {
  state: string;
  data: Record<string, unknown>;
  updatedAt: Date;
}

type ConversationRow = { state: string; data: Record<string, unknown>; updated_at: Date };

/**
 * The user's conversation, or null when there is none or it is older than
 * `ttlMs` (compared with the database's clock). `ttlMs` null: never stale.
 */
export async function getConversation(db: Db, userId: number, ttlMs: number | null): Promise<Conversation | null> {
  const { rows } = await queryRepeatable<ConversationRow>(
    db,
    `SELECT state, data, updated_at FROM conversations
     WHERE user_id = $1 AND ($2::float8 IS NULL OR updated_at > now() - make_interval(secs => $2::float8 / 1000))`,
    [userId, ttlMs],
  );
  const row = rows[0];
  return row ? { state: row.state, data: row.data, updatedAt: row.updated_at } : null;
}

/** Sets the user's conversation (an upsert with absolute values: repeatable). */
export async function setConversation(db: Db, userId: number, state: string, data: Record<string, unknown> = {}): Promise<void> {
  await queryRepeatable(
    db,
    `INSERT INTO conversations (user_id, state, data, updated_at) VALUES ($1, $2, $3::jsonb, now())
     ON CONFLICT (user_id) DO UPDATE SET state = EXCLUDED.state, data = EXCLUDED.data, updated_at = now()`,
    [userId, state, JSON.stringify(data)],
  );
}

/** Forgets the user's conversation; true when there was one (stale or not). */
export async function clearConversation(db: Db, userId: number): Promise<boolean> {
  const { rowCount } = await queryRepeatable(db, 'DELETE FROM conversations WHERE user_id = $1', [userId]);
  return (rowCount ?? 0) > 0;
}
