/**
 * Reminder claims (L5): before sending the reminder of habit H for slot S,
 * the job claims (H, S). The primary key (habit_id, slot) lets exactly one
 * claimer win, however many job runs overlap or rerun.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/handle.ts';
import { queryRepeatable } from '../db/query.ts';
import { sqlState, wholeMinute } from '../db/sql-values.ts';
import { NotFoundError } from './repo-errors.ts';

export type ReminderOutcome = 'sent' | 'blocked' | 'failed';

/**
 * True only for the first claimer of (habitId, slot); `slot` is cut to its
 * minute. Each call claims with its own random token, and answers true when
 * the stored token is its own: so a retry after a dead connection, whose
 * first attempt may have committed, still recognises its own claim, while
 * every other caller gets false.
 *
 * Sabotage `reminder-dedup`: always true, so a rerun sends again.
 */
export async function claimReminder(db: Db, habitId: number, slot: Date): Promise<boolean> {
  const token = randomUUID();
  try {
    const { rows } = await queryRepeatable<{ mine: boolean }>(
      db,
      `WITH claimed AS (
         INSERT INTO reminders_sent (habit_id, slot, claim_token) VALUES ($1, $2::timestamptz, $3::uuid)
         ON CONFLICT ON CONSTRAINT reminders_sent_one_per_slot DO NOTHING
         RETURNING claim_token
       )
       SELECT EXISTS (SELECT 1 FROM claimed)
           OR EXISTS (SELECT 1 FROM reminders_sent WHERE habit_id = $1 AND slot = $2::timestamptz AND claim_token = $3::uuid) AS mine`,
      [habitId, wholeMinute(slot).toISOString(), token],
    );
    if (db.sabotage.has('reminder-dedup')) return true;
    return rows[0]?.mine === true;
  } catch (error) {
    if (sqlState(error) === '23503') throw new NotFoundError('habit', habitId);
    throw error;
  }
}

/**
 * What happened to a claimed reminder: sent, not sent because the user blocked
 * the bot (C9), or failed. Repeatable; false when there is no such claim.
 */
export async function recordReminderOutcome(db: Db, habitId: number, slot: Date, outcome: ReminderOutcome, detail?: string): Promise<boolean> {
  const { rowCount } = await queryRepeatable(
    db,
    `UPDATE reminders_sent SET outcome = $3, outcome_detail = $4, outcome_at = now()
     WHERE habit_id = $1 AND slot = $2::timestamptz`,
    [habitId, wholeMinute(slot).toISOString(), outcome, detail ?? null],
  );
  return (rowCount ?? 0) > 0;
}
