/**
 * The two sabotage switches of the scheduled jobs that L6 and L7 catch, against
 * real PostgreSQL and the real Telegram simulator:
 * - `analytics-blocking`: analytics_refresh takes SHARE locks on the tables it
 *   reads, so writers wait for it (L6 "Does not block other jobs");
 * - `health-tight-limits`: health_check judges against 50 ms / 100 ms instead
 *   of 500 ms / 1 s, so ordinary slowness becomes a failed run (L7 false positives).
 */
import { after, before, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Api } from 'grammy';
import { createBotReachability } from '../../../target/bot/reachability.ts';
import type { Db } from '../../../target/db/handle.ts';
import { queryOnce } from '../../../target/db/query.ts';
import { createDbCheck } from '../../../target/health/db-check.ts';
import { refreshAnalytics } from '../../../target/repos/analytics.ts';
import { listJobLog } from '../../../target/repos/job-log.ts';
import { parseSabotage } from '../../../target/sabotage.ts';
import { healthCheckJob } from '../../../target/scheduler/jobs.ts';
import { createScheduler } from '../../../target/scheduler/scheduler.ts';
import { startTelegram, TOKEN } from '../../sims/telegram-helpers.ts';
import { bulkHabits, newUser } from '../support/fixtures.ts';
import { closeTestDb, closeTestDbs, createThrowawayPostgres, openTestDb, withSabotage } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let cluster: ThrowawayPostgres | undefined;
before(async () => {
  cluster = await createThrowawayPostgres('jobs-sabotage');
});
after(async () => {
  await closeTestDbs();
  await cluster?.dispose();
});

async function freshDb(t: TestContext): Promise<{ db: Db; pool: pg.Pool; url: string }> {
  assert.ok(cluster, 'the cluster was not created');
  const url = await cluster.createMigratedDatabase();
  const { db, pool } = openTestDb(url);
  t.after(() => closeTestDb(pool));
  return { db, pool, url };
}

async function sideConnection(t: TestContext, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.after(() => client.end().catch(() => undefined));
  return client;
}

test('L6 analytics-blocking: the refresh needs a lock that conflicts with writers (the healthy one does not)', async (t) => {
  const { db, url } = await freshDb(t);
  const user = await newUser(db);
  const writer = await sideConnection(t, url);
  await writer.query('BEGIN');
  await writer.query('UPDATE users SET balance = balance + 1 WHERE id = $1', [user.id]);
  try {
    // With a writer's transaction open on users, the healthy refresh goes through at once.
    assert.equal((await refreshAnalytics(db, { lockTimeoutMs: 300 })).status, 'ok');
    // The sabotaged one asks for SHARE on users, which the writer's ROW EXCLUSIVE blocks: lock_timeout.
    await assert.rejects(refreshAnalytics(withSabotage(db, 'analytics-blocking'), { lockTimeoutMs: 300 }), (error: { code?: string }) => error.code === '55P03');
  } finally {
    await writer.query('ROLLBACK');
  }
});

test('L6 analytics-blocking: a write that arrives during the refresh waits for it; without the switch it does not', async (t) => {
  const { db, url } = await freshDb(t);
  await bulkHabits(db, { users: 2000, habitsPerUser: 10, reminderTime: '09:00', telegramIdBase: 9_000_000 });
  await queryOnce(db, `INSERT INTO habit_completions (habit_id, day) SELECT h.id, (now() AT TIME ZONE 'UTC')::date - d FROM habits h, generate_series(0, 19) AS d`);
  await queryOnce(db, 'ANALYZE');
  const observer = await sideConnection(t, url);
  const writer = await sideConnection(t, url);

  /** Runs a refresh and, once it holds its locks, one insert into users; whether the insert was ever seen waiting. */
  const writeDuringRefresh = async (refreshDb: Db): Promise<{ waited: boolean }> => {
    let done = false;
    const refresh = refreshAnalytics(refreshDb).finally(() => {
      done = true;
    });
    // Wait until the refresh is inside its transaction (it writes analytics_metrics, ROW EXCLUSIVE).
    for (;;) {
      const { rows } = await observer.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'analytics_metrics' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()",
      );
      if (Number(rows[0]?.n) > 0 || done) break;
    }
    assert.ok(!done, 'the refresh was caught running (make the data heavier if this fails)');
    const insert = writer.query("INSERT INTO users (telegram_id, first_name) VALUES (9999999, 'late writer') ON CONFLICT DO NOTHING");
    let waited = false;
    while (!done) {
      const { rows } = await observer.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted AND c.relname = 'users'",
      );
      if (Number(rows[0]?.n) > 0) waited = true;
    }
    await Promise.all([refresh, insert]);
    await writer.query('DELETE FROM users WHERE telegram_id = 9999999');
    return { waited };
  };

  assert.deepEqual(await writeDuringRefresh(db), { waited: false }, 'the healthy refresh lets the writer through');
  assert.deepEqual(await writeDuringRefresh(withSabotage(db, 'analytics-blocking')), { waited: true }, 'the sabotaged refresh makes the writer wait');
});

test('L7 health_check: slow but within 500 ms / 1 s is ok; health-tight-limits reports the same as failed', async (t) => {
  const { db, pool } = await freshDb(t);
  const tg = await startTelegram();
  t.after(() => tg.close());
  // getMe about 300 ms, the DB check about 250 ms (pg_sleep): both slow, both within the seed's bounds.
  tg.control.setLatency({ fixed_ms: 300, jitter_ms: 0 });
  const bot = createBotReachability(new Api(TOKEN, { apiRoot: tg.url }), { timeoutMs: 3000, cacheMs: 0 });
  const checkDb = createDbCheck(pool, 500, { heavy: true });

  const healthy = createScheduler({ db, jobs: [healthCheckJob({ checkDb, bot })] });
  assert.equal(await healthy.runNow('health_check'), 'ok', 'no false positive');

  const tight = createScheduler({ db, jobs: [healthCheckJob({ checkDb, bot, sabotage: parseSabotage({ CHAOSCTL_SABOTAGE: 'health-tight-limits' }) })] });
  assert.equal(await tight.runNow('health_check'), 'failed');
  const [entry] = await listJobLog(db, 'health_check');
  assert.equal(entry?.status, 'failed');
  assert.match(entry?.detail ?? '', /health check failed: db: [\d.]+ ms > 50 ms; getMe: \d+ ms > 100 ms/);
});

test('L7 health_check: a DB check that answers but slower than its limit is a failed run', async (t) => {
  const { db, pool } = await freshDb(t);
  // The ~250 ms check against a 100 ms limit: the answer came, too late.
  const scheduler = createScheduler({ db, jobs: [healthCheckJob({ checkDb: createDbCheck(pool, 500, { heavy: true }), dbLimitMs: 100 })] });
  assert.equal(await scheduler.runNow('health_check'), 'failed');
  assert.match((await listJobLog(db, 'health_check'))[0]?.detail ?? '', /health check failed: db: [\d.]+ ms > 100 ms/);
});
