/**
 * Users, habits, completions and reminder claims against real PostgreSQL:
 * /start registration, blocking (C9), habit_done idempotence (L2), exactly one
 * reminder per habit and slot under concurrency (L5), the due query at 10k
 * habits, and the callback-idempotency and reminder-dedup sabotage switches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../../target/db/handle.ts';
import { claimReminder, recordReminderOutcome } from '../../../target/repos/reminders.ts';
import { markHabitDone } from '../../../target/repos/habit-completions.ts';
import { createHabit, deactivateHabit, getHabit, listHabitsDueAt, listHabitsForUser } from '../../../target/repos/habits.ts';
import { InvalidInputError, NotFoundError } from '../../../target/repos/repo-errors.ts';
import { getUserByTelegramId, markUserBlocked, registerOrGetUser } from '../../../target/repos/users.ts';
import { bulkHabits, newUser } from '../support/fixtures.ts';
import { useMigratedDatabases, withSabotage } from '../support/throwaway-postgres.ts';

/** A database of its own for each test, on one cluster for the file. */
const freshDb = useMigratedDatabases('db-habits');

async function count(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n);
}

test('/start registers a user once, refreshes the profile, and clears is_blocked; a 403 marks it blocked', async (t) => {
  const db = await freshDb(t);
  const first = await registerOrGetUser(db, { telegramId: 42, username: 'ann', languageCode: 'en' });
  assert.equal(first.created, true);
  assert.equal(first.user.isBlocked, false);
  assert.equal(first.user.balance, 0);

  assert.equal(await markUserBlocked(db, 42), true);
  assert.equal((await getUserByTelegramId(db, 42))?.isBlocked, true);
  assert.equal(await markUserBlocked(db, 42), true, 'repeatable');
  assert.equal(await markUserBlocked(db, 43), false, 'no such user');

  const again = await registerOrGetUser(db, { telegramId: 42, username: 'ann_new' });
  assert.equal(again.created, false);
  assert.equal(again.user.id, first.user.id);
  assert.equal(again.user.username, 'ann_new');
  assert.equal(again.user.isBlocked, false, '/start means the user unblocked the bot');
});

test('L1: 100 concurrent /start from 10 users create exactly 10 users, each reported created once', async (t) => {
  const db = await freshDb(t);
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => registerOrGetUser(db, { telegramId: 1000 + (i % 10) })));
  assert.equal(results.filter((result) => result.created).length, 10);
  assert.equal(new Set(results.map((result) => result.user.id)).size, 10);
  assert.equal(await count(db, 'SELECT count(*) AS n FROM users'), 10);
});

test('habits: create, list active for the owner, deactivate only by the owner, and refuse bad input', async (t) => {
  const db = await freshDb(t);
  const ann = await newUser(db);
  const bob = await newUser(db);
  const read = await createHabit(db, { userId: ann.id, title: '  Read  ', reminderTime: '09:30', timezone: 'Europe/Moscow' });
  assert.deepEqual({ title: read.title, reminderTime: read.reminderTime, timezone: read.timezone, completionCount: read.completionCount }, {
    title: 'Read',
    reminderTime: '09:30',
    timezone: 'Europe/Moscow',
    completionCount: 0,
  });
  const run = await createHabit(db, { userId: ann.id, title: 'Run' });
  assert.equal(run.reminderTime, null);
  assert.equal(run.timezone, 'UTC');

  assert.deepEqual(
    (await listHabitsForUser(db, ann.id)).map((habit) => habit.title),
    ['Read', 'Run'],
  );
  assert.equal(await deactivateHabit(db, run.id, bob.id), false, 'not the owner');
  assert.equal(await deactivateHabit(db, run.id, ann.id), true);
  assert.deepEqual(
    (await listHabitsForUser(db, ann.id)).map((habit) => habit.title),
    ['Read'],
  );
  assert.equal((await listHabitsForUser(db, ann.id, { includeInactive: true })).length, 2);

  await assert.rejects(createHabit(db, { userId: ann.id, title: 'x', reminderTime: '25:00' }), InvalidInputError);
  await assert.rejects(createHabit(db, { userId: ann.id, title: 'x', timezone: 'Mars/Olympus' }), InvalidInputError);
  await assert.rejects(createHabit(db, { userId: ann.id, title: '   ' }), InvalidInputError);
  await assert.rejects(createHabit(db, { userId: 999_999, title: 'x' }), NotFoundError);
});

test("L2: habit_done is idempotent: 'done' once, then 'already'; 50 concurrent callbacks count once", async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  const habit = await createHabit(db, { userId: user.id, title: 'Read' });
  assert.equal(await markHabitDone(db, habit.id, '2025-03-01'), 'done');
  assert.equal(await markHabitDone(db, habit.id, '2025-03-01'), 'already');

  const results = await Promise.all(Array.from({ length: 50 }, () => markHabitDone(db, habit.id, '2025-03-02')));
  assert.equal(results.filter((result) => result === 'done').length, 1);
  assert.equal((await getHabit(db, habit.id))?.completionCount, 2, 'one per day');
  assert.equal(await count(db, 'SELECT count(*) AS n FROM habit_completions WHERE habit_id = $1', [habit.id]), 2);

  await assert.rejects(markHabitDone(db, 999_999, '2025-03-01'), NotFoundError);
  await assert.rejects(markHabitDone(db, habit.id, '2025-02-30'), RangeError);
});

test("sabotage callback-idempotency: the repeated callback answers 'done' again and the counter counts it twice", async (t) => {
  const healthy = await freshDb(t);
  const db = withSabotage(healthy, 'callback-idempotency');
  const user = await newUser(db);
  const habit = await createHabit(db, { userId: user.id, title: 'Read' });
  assert.equal(await markHabitDone(db, habit.id, '2025-03-01'), 'done');
  assert.equal(await markHabitDone(db, habit.id, '2025-03-01'), 'done', 'a healthy target says already');
  assert.equal((await getHabit(db, habit.id))?.completionCount, 2, 'the counter drifted');
  assert.equal(await count(db, 'SELECT count(*) AS n FROM habit_completions WHERE habit_id = $1', [habit.id]), 1, 'the row itself stays unique');
});

test('L5: 20 concurrent claimers of one habit and slot: exactly one wins; the slot is the minute', async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  const habit = await createHabit(db, { userId: user.id, title: 'Read', reminderTime: '12:00' });
  const slot = new Date('2025-03-01T12:00:00Z');
  const claims = await Promise.all(Array.from({ length: 20 }, () => claimReminder(db, habit.id, slot)));
  assert.equal(claims.filter(Boolean).length, 1);
  assert.equal(await claimReminder(db, habit.id, new Date('2025-03-01T12:00:42.123Z')), false, 'same minute, same slot');
  assert.equal(await claimReminder(db, habit.id, new Date('2025-03-02T12:00:00Z')), true, 'next day, new slot');
  assert.equal(await recordReminderOutcome(db, habit.id, slot, 'sent'), true);
  assert.equal(await recordReminderOutcome(db, habit.id, new Date('2025-01-01T00:00:00Z'), 'sent'), false);
  await assert.rejects(claimReminder(db, 999_999, slot), NotFoundError);
});

test('sabotage reminder-dedup: every one of 20 concurrent claimers is told to send', async (t) => {
  const healthy = await freshDb(t);
  const db = withSabotage(healthy, 'reminder-dedup');
  const user = await newUser(db);
  const habit = await createHabit(db, { userId: user.id, title: 'Read', reminderTime: '12:00' });
  const claims = await Promise.all(Array.from({ length: 20 }, () => claimReminder(db, habit.id, new Date('2025-03-01T12:00:00Z'))));
  assert.equal(claims.filter(Boolean).length, 20, 'a healthy target lets one through');
  assert.equal(await count(db, 'SELECT count(*) AS n FROM reminders_sent'), 1);
});

test('due query: local time per zone, no blocked users, no inactive or already claimed habits, keyset pages', async (t) => {
  const db = await freshDb(t);
  const ann = await newUser(db);
  const blocked = await newUser(db);
  await markUserBlocked(db, blocked.telegramId);
  const utc = await createHabit(db, { userId: ann.id, title: 'utc', reminderTime: '09:00' });
  const moscow = await createHabit(db, { userId: ann.id, title: 'moscow', reminderTime: '12:00', timezone: 'Europe/Moscow' });
  const newYork = await createHabit(db, { userId: ann.id, title: 'new york', reminderTime: '05:00', timezone: 'America/New_York' });
  await createHabit(db, { userId: ann.id, title: 'other minute', reminderTime: '09:01' });
  await createHabit(db, { userId: ann.id, title: 'no reminder' });
  await createHabit(db, { userId: blocked.id, title: 'blocked', reminderTime: '09:00' });
  const inactive = await createHabit(db, { userId: ann.id, title: 'inactive', reminderTime: '09:00' });
  await deactivateHabit(db, inactive.id, ann.id);

  // 09:00 UTC in March: 12:00 in Moscow (UTC+3), 05:00 in New York (EDT, UTC-4, from 9 March 2025).
  const slot = new Date('2025-03-10T09:00:00Z');
  const due = await listHabitsDueAt(db, slot);
  assert.deepEqual(
    due.map((habit) => habit.habitId),
    [utc.id, moscow.id, newYork.id],
  );
  assert.equal(due[0]?.telegramId, ann.telegramId);
  // A week earlier New York was on EST (UTC-5): its 05:00 was 10:00 UTC.
  assert.deepEqual(
    (await listHabitsDueAt(db, new Date('2025-03-03T09:00:00Z'))).map((habit) => habit.title),
    ['utc', 'moscow'],
  );

  const firstPage = await listHabitsDueAt(db, slot, { limit: 2 });
  const secondPage = await listHabitsDueAt(db, slot, { limit: 2, afterId: firstPage.at(-1)?.habitId ?? 0 });
  assert.deepEqual(
    [...firstPage, ...secondPage].map((habit) => habit.habitId),
    [utc.id, moscow.id, newYork.id],
  );

  assert.equal(await claimReminder(db, moscow.id, slot), true);
  assert.deepEqual(
    (await listHabitsDueAt(db, slot)).map((habit) => habit.habitId),
    [utc.id, newYork.id],
    'a claimed habit is not listed again for its slot',
  );
  await assert.rejects(listHabitsDueAt(db, slot, { limit: 0 }), InvalidInputError);
});

test('L5: 10k habits due at the same minute (among 15k): the due query returns all of them', async (t) => {
  const db = await freshDb(t);
  await bulkHabits(db, { users: 1000, habitsPerUser: 10, reminderTime: '12:00', telegramIdBase: 5_000_000 });
  await bulkHabits(db, { users: 250, habitsPerUser: 10, reminderTime: '12:00', timezone: 'Asia/Tokyo', telegramIdBase: 6_000_000 });
  await bulkHabits(db, { users: 250, habitsPerUser: 10, reminderTime: '12:05', telegramIdBase: 7_000_000 });
  await db.pool.query('ANALYZE');
  const slot = new Date('2025-03-10T12:00:00Z');

  let started = performance.now();
  const all = await listHabitsDueAt(db, slot, { limit: 10_000 });
  const oneCallMs = performance.now() - started;
  assert.equal(all.length, 10_000);
  assert.equal(new Set(all.map((habit) => habit.habitId)).size, 10_000);

  started = performance.now();
  const paged: number[] = [];
  for (let afterId = 0; ; ) {
    const page = await listHabitsDueAt(db, slot, { afterId, limit: 2000 });
    if (page.length === 0) break;
    paged.push(...page.map((habit) => habit.habitId));
    afterId = page.at(-1)?.habitId ?? afterId;
  }
  const pagedMs = performance.now() - started;
  assert.equal(paged.length, 10_000);

  // What an overlapping rerun costs: every habit claimed, in 20 parallel lanes.
  started = performance.now();
  let wins = 0;
  const queue = [...all];
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      for (let habit = queue.pop(); habit; habit = queue.pop()) if (await claimReminder(db, habit.habitId, slot)) wins += 1;
    }),
  );
  const claimMs = performance.now() - started;
  assert.equal(wins, 10_000);
  started = performance.now();
  const afterClaims = await listHabitsDueAt(db, slot, { limit: 10_000 });
  const rerunMs = performance.now() - started;
  assert.equal(afterClaims.length, 0, 'a rerun finds nothing left to send');
  console.log(
    `  10k due: one call ${oneCallMs.toFixed(0)} ms, 5 pages of 2000 ${pagedMs.toFixed(0)} ms, 10k claims ${claimMs.toFixed(0)} ms, rerun query ${rerunMs.toFixed(0)} ms`,
  );
});
