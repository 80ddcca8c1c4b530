/**
 * Habits: create, list, deactivate, and the reminder job's "which habits are
 * due at this minute" query (L5: 10k habits due at once).
 */
import type { Db } from '../db/handle.ts';
import { queryOnce, queryRepeatable } from '../db/query.ts';
import { sqlState, toSafeInteger, violatedConstraint, wholeMinute } from '../db/sql-values.ts';
import { InvalidInputError, NotFoundError } from './repo-errors.ts';

export interface Habit {
  id: number;
  userId: number;
  title: string;
  /** Local time of the daily reminder, HH:MM; null when it has none. */
  reminderTime: string | null;
  /** IANA zone the reminder time is in. */
  timezone: string;
  isActive: boolean;
  /** Times it was marked done (one per day at most). */
  completionCount: number;
  createdAt: Date;
}

export interface NewHabit {
  userId: number;
  title: string;
  reminderTime?: string | null;
  /** Default UTC. */
  timezone?: string;
}

/** A habit whose reminder is due, with what the notifier needs to send it. */
export interface DueHabit {
  habitId: number;
  userId: number;
  telegramId: number;
  title: string;
  reminderTime: string;
  timezone: string;
}

type HabitRow = {
  id: string;
  user_id: string;
  title: string;
  reminder_time: string | null;
  timezone: string;
  is_active: boolean;
  completion_count: number;
  created_at: Date;
};

const HABIT_COLUMNS = "id, user_id, title, to_char(reminder_time, 'HH24:MI') AS reminder_time, timezone, is_active, completion_count, created_at";

function habitFromRow(row: HabitRow): Habit {
  return {
    id: toSafeInteger(row.id, 'habits.id'),
    userId: toSafeInteger(row.user_id, 'habits.user_id'),
    title: row.title,
    reminderTime: row.reminder_time,
    timezone: row.timezone,
    isActive: row.is_active,
    completionCount: row.completion_count,
    createdAt: row.created_at,
  };
}

const REMINDER_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

function checkNewHabit(habit: NewHabit): void {
  const title = habit.title.trim();
  if (title.length < 1 || title.length > 200) throw new InvalidInputError('a habit title must have 1 to 200 characters');
  if (habit.reminderTime !== undefined && habit.reminderTime !== null && !REMINDER_TIME.test(habit.reminderTime)) {
    throw new InvalidInputError(`reminder time "${habit.reminderTime}" must be HH:MM (24-hour)`);
  }
  if (habit.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: habit.timezone });
    } catch {
      throw new InvalidInputError(`"${habit.timezone}" is not a time zone`);
    }
  }
}

/** Creates a habit. A plain insert: never retried, since a second run would create a second habit. */
export async function createHabit(db: Db, habit: NewHabit): Promise<Habit> {
  checkNewHabit(habit);
  try {
    const { rows } = await queryOnce<HabitRow>(
      db,
      `INSERT INTO habits (user_id, title, reminder_time, timezone)
       VALUES ($1, $2, $3::time, $4)
       RETURNING ${HABIT_COLUMNS}`,
      [habit.userId, habit.title.trim(), habit.reminderTime ?? null, habit.timezone ?? 'UTC'],
    );
    const row = rows[0];
    if (!row) throw new Error('insert of a habit returned no row');
    return habitFromRow(row);
  } catch (error) {
    if (sqlState(error) === '23503') throw new NotFoundError('user', habit.userId);
    if (violatedConstraint(error) === 'habits_known_time_zone') throw new InvalidInputError(`"${habit.timezone ?? ''}" is not a time zone PostgreSQL knows`);
    throw error;
  }
}

export async function getHabit(db: Db, habitId: number): Promise<Habit | null> {
  const { rows } = await queryRepeatable<HabitRow>(db, `SELECT ${HABIT_COLUMNS} FROM habits WHERE id = $1`, [habitId]);
  return rows[0] ? habitFromRow(rows[0]) : null;
}

/** The user's habits, oldest first; active ones only unless asked. */
export async function listHabitsForUser(db: Db, userId: number, options: { includeInactive?: boolean } = {}): Promise<Habit[]> {
  const { rows } = await queryRepeatable<HabitRow>(
    db,
    `SELECT ${HABIT_COLUMNS} FROM habits WHERE user_id = $1 AND (is_active OR $2) ORDER BY id`,
    [userId, options.includeInactive ?? false],
  );
  return rows.map(habitFromRow);
}

/** Stops a habit (its history stays). Scoped to its owner; false when no such habit of that user. Repeatable. */
export async function deactivateHabit(db: Db, habitId: number, userId: number): Promise<boolean> {
  const { rowCount } = await queryRepeatable(db, 'UPDATE habits SET is_active = false WHERE id = $1 AND user_id = $2', [habitId, userId]);
  return (rowCount ?? 0) > 0;
}

export interface DueQueryOptions {
  /** Keyset pagination: only habits with a larger id. Default 0. */
  afterId?: number;
  /** Page size, 1 to 10 000; default 1000. */
  limit?: number;
}

/**
 * Active habits whose reminder falls on the minute `slot` in their own time
 * zone, owned by users who have not blocked the bot, and not yet claimed for
 * this slot; ordered by id for keyset pagination.
 *
 * Only the zones in use are visited (a skip-scan over the habits_due index),
 * and for each the slot's local time is looked up in the same index, so the
 * cost follows the number of due habits, not the size of the table. A local
 * time that a DST jump skips is not due that day.
 */
export async function listHabitsDueAt(db: Db, slot: Date, options: DueQueryOptions = {}): Promise<DueHabit[]> {
  const limit = options.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidInputError('limit must be an integer from 1 to 10000');
  const { rows } = await queryRepeatable<{ id: string; user_id: string; telegram_id: string; title: string; reminder_time: string; timezone: string }>(
    db,
    `WITH RECURSIVE zones (zone) AS (
       SELECT min(timezone) FROM habits WHERE is_active AND reminder_time IS NOT NULL
       UNION ALL
       SELECT (SELECT min(h.timezone) FROM habits h WHERE h.is_active AND h.reminder_time IS NOT NULL AND h.timezone > zones.zone)
       FROM zones WHERE zones.zone IS NOT NULL
     ),
     local_slot AS (
       SELECT zone, ($1::timestamptz AT TIME ZONE zone)::time(0) AS local_time FROM zones WHERE zone IS NOT NULL
     )
     SELECT h.id, h.user_id, u.telegram_id, h.title, to_char(h.reminder_time, 'HH24:MI') AS reminder_time, h.timezone
     FROM local_slot s
     JOIN habits h ON h.timezone = s.zone AND h.reminder_time = s.local_time AND h.is_active
     JOIN users u ON u.id = h.user_id
     WHERE NOT u.is_blocked
       AND h.id > $2
       AND ($4 OR NOT EXISTS (SELECT 1 FROM reminders_sent r WHERE r.habit_id = h.id AND r.slot = $1::timestamptz))
     ORDER BY h.id
     LIMIT $3`,
    // Sabotage reminder-dedup: reminders already sent for this slot are listed again.
    [wholeMinute(slot).toISOString(), options.afterId ?? 0, limit, db.sabotage.has('reminder-dedup')],
  );
  return rows.map((row) => ({
    habitId: toSafeInteger(row.id, 'habits.id'),
    userId: toSafeInteger(row.user_id, 'habits.user_id'),
    telegramId: toSafeInteger(row.telegram_id, 'users.telegram_id'),
    title: row.title,
    reminderTime: row.reminder_time,
    timezone: row.timezone,
  }));
}
