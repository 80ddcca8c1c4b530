/**
 * The admin analytics against real PostgreSQL: what refreshAnalytics computes,
 * its statement_timeout (L6: fails cleanly, logged as failed, nothing half
 * written), that it neither blocks nor waits for writers (B5), one refresh at
 * a time, and that readAnalytics touches only analytics_metrics (L3).
 */
import { after, before, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Db } from '../../../target/db/handle.ts';
import { queryOnce } from '../../../target/db/query.ts';
import { ANALYTICS_REFRESH_LOCK_KEY, metricValue, readAnalytics, refreshAnalytics } from '../../../target/repos/analytics.ts';
import type { AnalyticsSnapshot } from '../../../target/repos/analytics.ts';
import { enqueueAlert } from '../../../target/repos/alert-outbox.ts';
import { markHabitDone } from '../../../target/repos/habit-completions.ts';
import { createHabit, deactivateHabit } from '../../../target/repos/habits.ts';
import { listJobLog, runLoggedJob } from '../../../target/repos/job-log.ts';
import { createPendingPayment, markPaymentFailed } from '../../../target/repos/payments.ts';
import { claimReminder } from '../../../target/repos/reminders.ts';
import { purchaseSubscription } from '../../../target/repos/subscriptions.ts';
import { markUserBlocked } from '../../../target/repos/users.ts';
import { bulkHabits, fundUser, newUser } from '../support/fixtures.ts';
import { closeTestDb, closeTestDbs, createThrowawayPostgres, openTestDb } from '../support/throwaway-postgres.ts';
import type { TestDbOptions, ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let pg15: ThrowawayPostgres | undefined;

before(async () => {
  pg15 = await createThrowawayPostgres('db-analytics');
});

after(async () => {
  await closeTestDbs();
  await pg15?.dispose();
});

async function freshDb(t: TestContext, options: TestDbOptions = {}): Promise<{ db: Db; url: string }> {
  assert.ok(pg15, 'the cluster was not created');
  const url = await pg15.createMigratedDatabase();
  const { db, pool } = openTestDb(url, options);
  t.after(() => closeTestDb(pool));
  return { db, url };
}

/** Today and yesterday as the refresh sees them (UTC). */
function utcDay(offsetDays = 0): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** 2000 users × 10 habits, and 20 days of completions for each habit: 400k rows for the aggregate to chew on. */
async function heavyData(db: Db): Promise<void> {
  await bulkHabits(db, { users: 2000, habitsPerUser: 10, reminderTime: '09:00', telegramIdBase: 9_000_000 });
  await queryOnce(
    db,
    `INSERT INTO habit_completions (habit_id, day)
     SELECT h.id, (now() AT TIME ZONE 'UTC')::date - d FROM habits h, generate_series(0, 19) AS d`,
  );
  await queryOnce(db, 'ANALYZE');
}

/** A client outside the pool, ended when the test ends. */
async function sideConnection(t: TestContext, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  t.after(() => client.end().catch(() => undefined));
  return client;
}

test('refreshAnalytics computes the dashboard figures from every table; readAnalytics returns them', async (t) => {
  const { db } = await freshDb(t);
  const [ann, bob, cid] = [await newUser(db), await newUser(db), await newUser(db)];
  await markUserBlocked(db, cid.telegramId);
  const read = await createHabit(db, { userId: ann.id, title: 'Read', reminderTime: '09:00' });
  const run = await createHabit(db, { userId: ann.id, title: 'Run' });
  const swim = await createHabit(db, { userId: bob.id, title: 'Swim' });
  const old = await createHabit(db, { userId: bob.id, title: 'Old' });
  await deactivateHabit(db, old.id, bob.id);
  for (const [habit, day] of [
    [read, utcDay()],
    [run, utcDay()],
    [swim, utcDay()],
    [read, utcDay(-1)],
    [read, '2000-01-01'],
  ] as const) {
    await markHabitDone(db, habit.id, day);
  }
  await claimReminder(db, read.id, new Date());
  await fundUser(db, ann.id, 300);
  await fundUser(db, bob.id, 200);
  const { payment } = await createPendingPayment(db, { idempotencyKey: 'f', userId: bob.id, provider: 'yookassa', amount: 999, purpose: 'topup' });
  await markPaymentFailed(db, payment.id, 'timeout');
  await purchaseSubscription(db, { userId: ann.id, plan: 'pro', price: 250 });
  await enqueueAlert(db, { eventKey: 'db_down', severity: 'critical', source: 'health_check', text: 'DB down' });

  assert.deepEqual(await readAnalytics(db), { refreshedAt: null, metrics: [] }, 'nothing before the first refresh');
  const result = await refreshAnalytics(db);
  assert.equal(result.status, 'ok');
  const snapshot = await readAnalytics(db);
  assert.ok(snapshot.refreshedAt instanceof Date);
  const expected: Array<[string, string, number]> = [
    ['users_total', 'all', 3],
    ['users_blocked', 'all', 1],
    ['users_new', utcDay(), 3],
    ['balance_total', 'all', 250],
    ['habits_total', 'all', 4],
    ['habits_active', 'all', 3],
    ['users_with_active_habits', 'all', 2],
    ['completions_total', 'all', 5],
    ['completions', utcDay(), 3],
    ['completions', utcDay(-1), 1],
    ['active_users', utcDay(), 2],
    ['active_users', utcDay(-1), 1],
    ['active_users_window', 'all', 2],
    ['reminders_sent', utcDay(), 1],
    ['payments_succeeded', 'all', 2],
    ['payments_failed', 'all', 1],
    ['payments_pending', 'all', 0],
    ['revenue_rub', 'all', 500],
    ['revenue_rub', utcDay(), 500],
    ['paying_users', 'all', 2],
    ['subscriptions_active', 'all', 1],
    ['alerts_undelivered', 'all', 1],
  ];
  for (const [key, period, value] of expected) assert.equal(metricValue(snapshot, key, period), value, `${key} ${period}`);
  assert.equal(
    snapshot.metrics.some((metric) => metric.period === '2000-01-01'),
    false,
    'per-day figures stop at the window',
  );
  if (result.status === 'ok') assert.equal(result.metrics, snapshot.metrics.length);
});

test('L6: a refresh that exceeds its statement_timeout fails cleanly: job logged failed, the previous figures intact', async (t) => {
  const { db } = await freshDb(t);
  await heavyData(db);
  const first = await runLoggedJob(db, 'analytics_refresh', () => refreshAnalytics(db));
  console.log(`  refresh over 400k completions: ${first.detail}`);
  const before: AnalyticsSnapshot = await readAnalytics(db);
  assert.equal(metricValue(before, 'completions_total'), 400_000);

  await markHabitDone(db, 1, '1999-01-01');
  await assert.rejects(
    runLoggedJob(db, 'analytics_refresh', () => refreshAnalytics(db, { statementTimeoutMs: 5 })),
    (error: unknown) => (error as { code?: string }).code === '57014',
  );
  const [failed, ok] = await listJobLog(db, 'analytics_refresh');
  assert.equal(failed?.status, 'failed');
  assert.match(failed?.detail ?? '', /statement timeout/);
  assert.ok(failed?.finishedAt instanceof Date);
  assert.equal(ok?.status, 'ok');
  assert.deepEqual(await readAnalytics(db), before, 'not one figure deleted or half-replaced');
  assert.equal(db.pool.totalCount - db.pool.idleCount, 0, 'every connection went back to the pool');
});

test('B5/L6: refresh takes no lock a writer needs: it completes while writers hold uncommitted changes on every table it reads', async (t) => {
  const { db, url } = await freshDb(t);
  const user = await newUser(db);
  const habit = await createHabit(db, { userId: user.id, title: 'Read' });
  const { payment } = await createPendingPayment(db, { idempotencyKey: 'w', userId: user.id, provider: 'yookassa', amount: 5, purpose: 'topup' });

  // Writers in open transactions: row and table write locks held until they end.
  const writers = await Promise.all(Array.from({ length: 4 }, () => sideConnection(t, url)));
  const [w1, w2, w3, w4] = writers as [pg.Client, pg.Client, pg.Client, pg.Client];
  for (const writer of writers) await writer.query('BEGIN');
  await w1.query('UPDATE users SET balance = balance + 1 WHERE id = $1', [user.id]);
  await w2.query("INSERT INTO habit_completions (habit_id, day) VALUES ($1, '2025-01-01')", [habit.id]);
  await w2.query("UPDATE habits SET title = 'Read more' WHERE id = $1", [habit.id]);
  await w3.query("UPDATE payments SET status = 'failed' WHERE id = $1", [payment.id]);
  await w4.query("INSERT INTO reminders_sent (habit_id, slot, claim_token) VALUES ($1, '2025-01-01T09:00:00Z', gen_random_uuid())", [habit.id]);
  await w4.query("INSERT INTO alert_outbox (event_key, severity, source, text) VALUES ('x', 'info', 's', 't')");

  // With a 300 ms lock_timeout, any conflicting lock would fail the refresh (55P03) instead of hanging.
  const started = performance.now();
  const result = await refreshAnalytics(db, { lockTimeoutMs: 300, statementTimeoutMs: 5000 });
  assert.equal(result.status, 'ok');
  assert.ok(performance.now() - started < 2000);
  for (const writer of writers) await writer.query('COMMIT');
});

test('B5: writers run at full speed during a heavy refresh; the refresh holds only ACCESS SHARE on the tables it reads', async (t) => {
  const { db, url } = await freshDb(t);
  await heavyData(db);
  const observer = await sideConnection(t, url);
  const seenLocks = new Set<string>();
  let refreshDone = false;
  let refreshMs = 0;
  const refresh = (async () => {
    const started = performance.now();
    await refreshAnalytics(db);
    refreshMs = performance.now() - started;
    refreshDone = true;
  })();
  const sample = (async () => {
    while (!refreshDone) {
      // The refresh is the session that writes analytics_metrics; the writer's own locks are not its business.
      const { rows } = await observer.query<{ lock: string }>(
        `SELECT c.relname || ':' || l.mode AS lock
         FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
         WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace
           AND l.pid IN (SELECT m.pid FROM pg_locks m JOIN pg_class mc ON mc.oid = m.relation WHERE mc.relname = 'analytics_metrics')`,
      );
      for (const row of rows) seenLocks.add(row.lock);
    }
  })();
  const writes: number[] = [];
  const writer = (async () => {
    for (let day = 1; !refreshDone && day <= 28; day += 1) {
      const started = performance.now();
      await markHabitDone(db, 1, `1999-02-${String(day).padStart(2, '0')}`);
      writes.push(performance.now() - started);
    }
  })();
  await Promise.all([refresh, sample, writer]);
  const slowest = Math.max(...writes);
  console.log(`  refresh ${refreshMs.toFixed(0)} ms; ${writes.length} writes during it, slowest ${slowest.toFixed(1)} ms; locks seen: ${[...seenLocks].sort().join(', ')}`);
  assert.ok(seenLocks.has('habit_completions:AccessShareLock'), 'the refresh was caught reading');
  for (const lock of seenLocks) {
    const [table, mode] = lock.split(':') as [string, string];
    const allowed = table === 'analytics_metrics' ? ['RowExclusiveLock', 'AccessShareLock'] : ['AccessShareLock'];
    assert.ok(allowed.includes(mode), `the refresh held ${mode} on ${table}`);
  }
  assert.ok(writes.length > 0, 'some writes ran during the refresh');
  assert.ok(slowest < refreshMs, 'no write waited for the refresh to end');
});

test('B4: one refresh at a time: a second one while the first holds the lock is skipped and logged as such', async (t) => {
  const { db, url } = await freshDb(t);
  const holder = await sideConnection(t, url);
  await holder.query('BEGIN');
  await holder.query('SELECT pg_advisory_xact_lock($1::bigint)', [ANALYTICS_REFRESH_LOCK_KEY]);
  const result = await runLoggedJob(db, 'analytics_refresh', () => refreshAnalytics(db));
  assert.equal(result.status, 'skipped');
  assert.equal((await listJobLog(db, 'analytics_refresh'))[0]?.status, 'skipped');
  await holder.query('COMMIT');
  assert.equal((await refreshAnalytics(db)).status, 'ok');
});

test('L3: readAnalytics reads analytics_metrics only (it returns while every other table is locked exclusively) and fast', async (t) => {
  const { db, url } = await freshDb(t, { statementTimeoutMs: 2000 });
  const user = await newUser(db);
  await fundUser(db, user.id, 100);
  await refreshAnalytics(db);

  const locker = await sideConnection(t, url);
  await locker.query('BEGIN');
  await locker.query(
    'LOCK TABLE users, habits, habit_completions, reminders_sent, payments, subscriptions, balance_ledger, alert_outbox, job_log IN ACCESS EXCLUSIVE MODE',
  );
  const timings: number[] = [];
  for (let round = 0; round < 5; round += 1) {
    // Ten admins clicking Analytics at once.
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const started = performance.now();
        const snapshot = await readAnalytics(db);
        timings.push(performance.now() - started);
        assert.equal(metricValue(snapshot, 'users_total'), 1);
      }),
    );
  }
  await locker.query('COMMIT');
  timings.sort((a, b) => a - b);
  const p50 = timings[Math.floor(timings.length / 2)] ?? 0;
  const p95 = timings[Math.floor(timings.length * 0.95)] ?? 0;
  console.log(`  readAnalytics, 10 concurrent × 5: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms`);
  assert.ok(p50 < 100, `L3: median ${p50.toFixed(1)} ms`);
});
