/**
 * The scheduler and its jobs against real PostgreSQL: start/stop/restart
 * with the job store, one reminder per habit and slot under overlapping runs
 * (L5) and its sabotage, analytics refresh logged and its failure logged.
 * The Notifier is a recording stand-in (the real one is built elsewhere).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Notifier, SendOutcome } from '../../../target/contracts.ts';
import { analyticsRefreshJob, habitRemindersJob } from '../../../target/scheduler/jobs.ts';
import { createScheduler } from '../../../target/scheduler/scheduler.ts';
import type { ScheduledJob } from '../../../target/scheduler/scheduler.ts';
import { listJobLog } from '../../../target/repos/job-log.ts';
import { bulkHabits } from '../support/fixtures.ts';
import { closeTestDb, closeTestDbs, createThrowawayPostgres, openTestDb, withSabotage } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let pg: ThrowawayPostgres;
before(async () => {
  pg = await createThrowawayPostgres('scheduler');
});
after(async () => {
  await closeTestDbs();
  await pg.dispose();
});

function countingNotifier(delayMs = 0): Notifier & { perChat: Map<number, number> } {
  const perChat = new Map<number, number>();
  return {
    perChat,
    async send(chatId: number): Promise<SendOutcome> {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      perChat.set(chatId, (perChat.get(chatId) ?? 0) + 1);
      return 'sent';
    },
  };
}

test('start, stop and restart: the job store keeps the jobs; one instance at a time', async () => {
  const { db } = openTestDb(await pg.createMigratedDatabase());
  let runs = 0;
  const job: ScheduledJob = { name: 'tick_job', intervalMs: 200, firstRunAfterMs: 0, run: async () => (runs += 1, { status: 'ok' }) };
  const scheduler = createScheduler({ db, jobs: [job], tickMs: 30 });
  await scheduler.start();
  assert.equal(scheduler.isRunning(), true);
  await new Promise((r) => setTimeout(r, 700));
  await scheduler.stop();
  assert.equal(scheduler.isRunning(), false);
  const before = runs;
  assert.ok(before >= 2 && before <= 5, `ran on its interval (${before})`);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(runs, before, 'a stopped scheduler runs nothing');
  const { rows } = await db.pool.query<{ name: string; interval_ms: number }>('SELECT name, interval_ms FROM scheduler_jobs');
  assert.deepEqual(rows, [{ name: 'tick_job', interval_ms: 200 }]);

  const restarted = createScheduler({ db, jobs: [job], tickMs: 30 });
  await restarted.start();
  await new Promise((r) => setTimeout(r, 500));
  await restarted.stop();
  assert.ok(runs > before, 'runs again after a restart');
  assert.ok((await listJobLog(db, 'tick_job', { limit: 100 })).every((entry) => entry.status === 'ok'));

  // One instance: a second runNow while the first runs is refused; with job-overlap it runs.
  let release: () => void = () => undefined;
  const slow: ScheduledJob = { name: 'slow_job', intervalMs: 60_000, run: () => new Promise((resolve) => (release = () => resolve({ status: 'ok' }))) };
  const one = createScheduler({ db, jobs: [slow] });
  const first = one.runNow('slow_job');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(await one.runNow('slow_job'), 'busy');
  release();
  assert.equal(await first, 'ok');
  let concurrent = 0;
  let peak = 0;
  const overlapJob: ScheduledJob = { name: 'overlap_job', intervalMs: 60_000, run: async () => { concurrent += 1; peak = Math.max(peak, concurrent); await new Promise((r) => setTimeout(r, 150)); concurrent -= 1; return { status: 'ok' }; } };
  const sabotaged = createScheduler({ db: withSabotage(db, 'job-overlap'), jobs: [overlapJob] });
  await Promise.all([sabotaged.runNow('overlap_job'), sabotaged.runNow('overlap_job')]);
  assert.equal(peak, 2, 'job-overlap lets a job run beside itself');
});

test('2000 due habits, two overlapping runs: exactly one reminder each; duplicates with job-overlap + reminder-dedup', async () => {
  for (const sabotage of [undefined, 'job-overlap', 'job-overlap,reminder-dedup']) {
    const base = openTestDb(await pg.createMigratedDatabase()).db;
    const db = sabotage ? withSabotage(base, sabotage) : base;
    await bulkHabits(base, { users: 1000, habitsPerUser: 2, reminderTime: '09:00', telegramIdBase: 5_000_000 });
    const notifier = countingNotifier(1);
    const slot = new Date('2026-01-05T09:00:00Z');
    const job = habitRemindersJob({ db, notifier, pageSize: 300, concurrency: 20, slotOf: () => slot });
    const scheduler = createScheduler({ db, jobs: [job] });
    const outcomes = await Promise.all([scheduler.runNow('habit_reminders'), scheduler.runNow('habit_reminders')]);
    const total = [...notifier.perChat.values()].reduce((a, b) => a + b, 0);
    if (sabotage === undefined) assert.ok(outcomes.includes('busy'), 'the second run was refused (one instance)');
    if (sabotage === 'job-overlap,reminder-dedup') {
      assert.ok(total > 2000, `duplicates sent (${total})`);
    } else {
      assert.equal(total, 2000, `one reminder per habit (${sabotage ?? 'no sabotage'})`);
      assert.ok([...notifier.perChat.values()].every((n) => n === 2), 'two habits per user, one reminder each');
    }
    const { rows } = await base.pool.query<{ n: string }>('SELECT count(*) AS n FROM reminders_sent');
    assert.equal(Number(rows[0]?.n), 2000);
    await closeTestDb(base.pool); // each round's pool holds up to 20 connections: free them for the next
  }
});

test('a rerun for the same slot sends nothing; with reminder-dedup alone it sends every reminder again', async () => {
  for (const sabotage of [undefined, 'reminder-dedup']) {
    const base = openTestDb(await pg.createMigratedDatabase()).db;
    const db = sabotage ? withSabotage(base, sabotage) : base;
    await bulkHabits(base, { users: 200, habitsPerUser: 1, reminderTime: '09:00', telegramIdBase: 6_000_000 });
    const notifier = countingNotifier();
    const slot = new Date('2026-01-05T09:00:00Z');
    const scheduler = createScheduler({ db, jobs: [habitRemindersJob({ db, notifier, slotOf: () => slot })] });
    assert.equal(await scheduler.runNow('habit_reminders'), 'ok');
    const rerun = await scheduler.runNow('habit_reminders');
    const total = [...notifier.perChat.values()].reduce((a, b) => a + b, 0);
    if (sabotage === undefined) {
      assert.equal(rerun, 'skipped', 'nothing left to send for the slot');
      assert.equal(total, 200);
    } else {
      assert.equal(rerun, 'ok');
      assert.equal(total, 400, 'every reminder sent twice');
    }
    await closeTestDb(base.pool);
  }
});

test('analytics_refresh is logged; a failing refresh is logged as failed and the scheduler goes on', async () => {
  const { db } = openTestDb(await pg.createMigratedDatabase());
  const scheduler = createScheduler({ db, jobs: [analyticsRefreshJob({ db })] });
  assert.equal(await scheduler.runNow('analytics_refresh'), 'ok');
  assert.equal((await listJobLog(db, 'analytics_refresh'))[0]?.status, 'ok');
  // Break the refresh: its target table is gone.
  await db.pool.query('ALTER TABLE analytics_metrics RENAME TO analytics_metrics_gone');
  assert.equal(await scheduler.runNow('analytics_refresh'), 'failed');
  const [latest] = await listJobLog(db, 'analytics_refresh');
  assert.equal(latest?.status, 'failed');
  assert.match(latest?.detail ?? '', /analytics_metrics/);
  await db.pool.query('ALTER TABLE analytics_metrics_gone RENAME TO analytics_metrics');
  assert.equal(await scheduler.runNow('analytics_refresh'), 'ok');
});

test('runNow with scheduledAt serves that slot and reports the job\'s own summary', async () => {
  const { db } = openTestDb(await pg.createMigratedDatabase());
  const seen: Date[] = [];
  const job: ScheduledJob = {
    name: 'slot_job',
    intervalMs: 3_600_000,
    run: async ({ scheduledAt }) => (seen.push(scheduledAt), { status: 'ok', detail: `served ${scheduledAt.toISOString()}` }),
  };
  const scheduler = createScheduler({ db, jobs: [job], tickMs: 30 });
  const slot = new Date('2026-01-02T04:00:00Z');
  let detail = '';
  assert.equal(await scheduler.runNow('slot_job', { scheduledAt: slot, onDetail: (d) => (detail = d) }), 'ok');
  assert.equal(seen[0]?.toISOString(), slot.toISOString());
  assert.equal(detail, 'served 2026-01-02T04:00:00.000Z');
  assert.equal(await scheduler.runNow('slot_job'), 'ok');
  assert.notEqual(seen[1]?.toISOString(), slot.toISOString(), 'without an override the run stands for its own slot');
  await assert.rejects(scheduler.runNow('no_such_job'), /no scheduled job named no_such_job/);
});
