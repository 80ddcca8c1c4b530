/**
 * Marking a habit done for a day: the habit_done callback (L2). One completion
 * per habit per day; the habit's completion counter moves with it, in the same
 * statement, so a repeated callback changes nothing.
 */
import type { Db } from '../db/handle.ts';
import { queryOnce, queryRepeatable } from '../db/query.ts';
import { assertIsoDay, sqlState } from '../db/sql-values.ts';
import { NotFoundError } from './repo-errors.ts';

export type MarkDoneResult = 'done' | 'already';

/**
 * Records that habit `habitId` was done on `day` (YYYY-MM-DD, the user's
 * local day). 'done' the first time, 'already' after that. Repeatable: after
 * a retry on a dead connection a completion this very call wrote reads as
 * 'already', which only changes the reply's wording.
 *
 * Sabotage `callback-idempotency`: answers 'done' every time and bumps the
 * counter every time, so habits.completion_count drifts above the number of
 * completion rows.
 */
export async function markHabitDone(db: Db, habitId: number, day: string): Promise<MarkDoneResult> {
  assertIsoDay(day);
  try {
    if (db.sabotage.has('callback-idempotency')) {
      // Sabotaged: the completion row is still unique, but the counter is
      // bumped whether or not it was inserted. Not safe to repeat: run once.
      await queryOnce(
        db,
        `WITH inserted AS (
           INSERT INTO habit_completions (habit_id, day) VALUES ($1, $2::date)
           ON CONFLICT ON CONSTRAINT habit_completions_one_per_day DO NOTHING
         )
         UPDATE habits SET completion_count = completion_count + 1 WHERE id = $1`,
        [habitId, day],
      );
      return 'done';
    }
    const { rows } = await queryRepeatable<{ inserted: number }>(
      db,
      `WITH inserted AS (
         INSERT INTO habit_completions (habit_id, day) VALUES ($1, $2::date)
         ON CONFLICT ON CONSTRAINT habit_completions_one_per_day DO NOTHING
         RETURNING habit_id
       ),
       counted AS (
         UPDATE habits SET completion_count = completion_count + 1
         FROM inserted WHERE habits.id = inserted.habit_id
         RETURNING habits.id
       )
       SELECT count(*)::int AS inserted FROM counted`,
      [habitId, day],
    );
    return (rows[0]?.inserted ?? 0) > 0 ? 'done' : 'already';
  } catch (error) {
    if (sqlState(error) === '23503') throw new NotFoundError('habit', habitId);
    throw error;
  }
}
