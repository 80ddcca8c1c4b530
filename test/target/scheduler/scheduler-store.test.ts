/**
 * B4 and §3 Scheduler through the job store (scheduler_jobs) on real
 * PostgreSQL, with separate Scheduler instances on separate pools as separate
 * processes would have them:
 * - the lease: two OS processes on one job store never run a job at once
 *   (and do with sabotage job-overlap, so the check can fail);
 * - missed runs coalesced: after a pause of several intervals the job runs
 *   once and its next run is in the future;
 * - misfire grace: a run later than the grace is skipped and logged, not run;
 * - restart: a new instance continues from the job store.
 * test/target/scheduler/scheduler.test.ts covers one process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../../cli/paths.ts';
import type { Db } from '../../../target/db/handle.ts';
import { listJobLog } from '../../../target/repos/job-log.ts';
import { createScheduler, type JobContext, type ScheduledJob, type SchedulerLogger } from '../../../target/scheduler/scheduler.ts';
import { closeTestDb, createThrowawayPostgres, openTestDb, withSabotage } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let pg: ThrowawayPostgres;
before(async () => {
  pg = await createThrowawayPostgres('scheduler-store');
});
after(async () => {
  await pg?.dispose();
});

/** A Scheduler instance's own pool on `url`, ended when the test ends. */
function ownPool(t: { after(fn: () => Promise<void>): void }, url: string): Db {
  const { db, pool } = openTestDb(url, { poolMax: 3, poolBurst: 2 });
  t.after(() => closeTestDb(pool));
  return db;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

async function nextRunAt(db: Db, job: string): Promise<Date> {
  const { rows } = await db.pool.query<{ next_run_at: Date }>('SELECT next_run_at FROM scheduler_jobs WHERE name = $1', [job]);
  assert.ok(rows[0], `job ${job} is in the store`);
  return rows[0].next_run_at;
}

async function dbNow(db: Db): Promise<Date> {
  const { rows } = await db.pool.query<{ now: Date }>('SELECT clock_timestamp() AS now');
  assert.ok(rows[0]);
  return rows[0].now;
}

/** A job that counts its runs and remembers the slot each stood for. */
function countingJob(name: string, intervalMs: number, firstRunAfterMs?: number): ScheduledJob & { slots: Date[] } {
  const slots: Date[] = [];
  return {
    name,
    intervalMs,
    ...(firstRunAfterMs !== undefined ? { firstRunAfterMs } : {}),
    slots,
    run: async (context: JobContext) => {
      slots.push(context.scheduledAt);
      return { status: 'ok' };
    },
  };
}

/** Runs scheduler-store-worker.ts in its own process; resolves when it exits 0. */
function runWorker(env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join('test', 'target', 'scheduler', 'scheduler-store-worker.ts')], {
      cwd: PACKAGE_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(killer);
      if (code === 0) resolve();
      else reject(new Error(`worker ${env.WORKER} exited with ${code}: ${stderr}`));
    });
  });
}

interface ProbeRun {
  worker: string;
  started_at: Date;
  finished_at: Date | null;
}

/** Two worker processes on one database, started together; every run they made. */
async function twoProcesses(url: string, sabotage: string): Promise<ProbeRun[]> {
  const { pool } = openTestDb(url, { poolMax: 1, poolBurst: 1 });
  try {
    await pool.query('CREATE TABLE IF NOT EXISTS lease_probe (id bigserial PRIMARY KEY, worker text NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz)');
    await pool.query('TRUNCATE lease_probe');
    await pool.query("DELETE FROM scheduler_jobs WHERE name = 'lease_job'");
    // Time enough for both processes to load before either starts its scheduler.
    const startAt = String(Date.now() + 4000);
    await Promise.all(['a', 'b'].map((worker) => runWorker({ DATABASE_URL: url, WORKER: worker, START_AT: startAt, RUN_FOR_MS: '3000', CHAOSCTL_SABOTAGE: sabotage })));
    return (await pool.query<ProbeRun>('SELECT worker, started_at, finished_at FROM lease_probe ORDER BY started_at')).rows;
  } finally {
    await closeTestDb(pool);
  }
}

/** The most runs in progress at one instant, and whether two different processes ever overlapped. */
function overlaps(runs: readonly ProbeRun[]): { peak: number; acrossProcesses: boolean } {
  let peak = 0;
  let acrossProcesses = false;
  for (const run of runs) {
    const at = run.started_at.getTime();
    const active = runs.filter((other) => other.started_at.getTime() <= at && (other.finished_at === null || other.finished_at.getTime() > at));
    peak = Math.max(peak, active.length);
    if (new Set(active.map((other) => other.worker)).size > 1) acrossProcesses = true;
  }
  return { peak, acrossProcesses };
}

test('B4 lease: two scheduler processes on one job store never run the job at once, both take turns; with job-overlap they do overlap', async () => {
  const url = await pg.createMigratedDatabase();
  const runs = await twoProcesses(url, '');
  assert.ok(runs.length >= 5, `${runs.length} runs in 3 s of a 300 ms job`);
  assert.ok(runs.every((run) => run.finished_at !== null), 'every run finished');
  assert.deepEqual(new Set(runs.map((run) => run.worker)), new Set(['a', 'b']), 'both processes competed for the job and both won turns');
  assert.deepEqual(overlaps(runs), { peak: 1, acrossProcesses: false }, 'one run at a time');

  const sabotaged = overlaps(await twoProcesses(url, 'job-overlap'));
  assert.ok(sabotaged.peak >= 2 && sabotaged.acrossProcesses, `job-overlap: ${JSON.stringify(sabotaged)}`);
});

test('B4 coalesce: after a pause of several intervals a new instance runs the job once, for the latest slot, and the next run is in the future', async (t) => {
  const url = await pg.createMigratedDatabase();
  const first = ownPool(t, url);
  const job = countingJob('coalesce_job', 2000, 0);
  const scheduler = createScheduler({ db: first, jobs: [job], tickMs: 20, misfireGraceMs: 60_000 });
  await scheduler.start();
  await eventually('the first run', async () => (job.slots.length >= 1 ? true : undefined));
  await scheduler.stop();
  assert.equal(job.slots.length, 1);

  // The pause: instead of sleeping, the stored next run is put 9 s in the past, as if the
  // scheduler had been away that long: the slots at -9, -7, -5, -3 and -1 s are all due.
  await first.pool.query("UPDATE scheduler_jobs SET next_run_at = now() - interval '9 seconds' WHERE name = 'coalesce_job'");
  const due = await nextRunAt(first, 'coalesce_job');
  const resumed = createScheduler({ db: ownPool(t, url), jobs: [job], tickMs: 20, misfireGraceMs: 60_000 });
  await resumed.start();
  try {
    await eventually('the run after the pause', async () => (job.slots.length >= 2 ? true : undefined));
    await sleep(500);
    assert.equal(job.slots.length, 2, 'the missed runs were coalesced into one');
    assert.equal(job.slots[1]?.getTime(), due.getTime() + 4 * 2000, 'the run stands for the latest missed slot');
    const next = await nextRunAt(first, 'coalesce_job');
    const now = await dbNow(first);
    assert.ok(next > now && next.getTime() - now.getTime() <= 2000, `next run ${next.toISOString()} is the first slot after ${now.toISOString()}`);
    assert.equal(next.getTime(), due.getTime() + 5 * 2000);
  } finally {
    await resumed.stop();
  }
  const log = await listJobLog(first, 'coalesce_job');
  assert.deepEqual(log.map((entry) => entry.status), ['ok', 'ok']);
});

test('B4 coalesce, sabotaged (job-coalesce): every missed slot runs in turn and the schedule stays behind', async (t) => {
  const url = await pg.createMigratedDatabase();
  const db = withSabotage(ownPool(t, url), 'job-coalesce');
  const job = countingJob('backlog_job', 2000, 0);
  const scheduler = createScheduler({ db, jobs: [job], tickMs: 20, misfireGraceMs: 60_000 });
  await scheduler.start();
  await eventually('the first run', async () => (job.slots.length >= 1 ? true : undefined));
  await scheduler.stop();
  await db.pool.query("UPDATE scheduler_jobs SET next_run_at = now() - interval '9 seconds' WHERE name = 'backlog_job'");
  const due = await nextRunAt(db, 'backlog_job');
  const resumed = createScheduler({ db, jobs: [job], tickMs: 20, misfireGraceMs: 60_000 });
  await resumed.start();
  try {
    await eventually('the backlog worked through', async () => (job.slots.length >= 6 ? true : undefined));
    const backlog = job.slots.slice(1, 6).map((slot) => slot.getTime() - due.getTime());
    assert.deepEqual(backlog, [0, 2000, 4000, 6000, 8000], 'each missed slot ran on its own');
  } finally {
    await resumed.stop();
  }
});

test('a changed interval starts a new schedule: shorter runs soon, longer waits a whole new interval', async (t) => {
  const url = await pg.createMigratedDatabase();
  const db = ownPool(t, url);
  const slow = countingJob('retimed_job', 3_600_000);
  await createScheduler({ db, jobs: [slow], tickMs: 20 }).runNow('retimed_job');
  const before = await nextRunAt(db, 'retimed_job');
  assert.ok(before.getTime() - Date.now() > 3_000_000, 'an hour away under the old interval');
  const same = createScheduler({ db, jobs: [countingJob('retimed_job', 3_600_000)], tickMs: 20 });
  await same.start();
  await same.stop();
  assert.equal((await nextRunAt(db, 'retimed_job')).getTime(), before.getTime(), 'the same interval keeps the stored next run');
  const fast = countingJob('retimed_job', 200);
  const retimed = createScheduler({ db, jobs: [fast], tickMs: 20 });
  await retimed.start();
  try {
    await eventually('a run under the new interval', async () => (fast.slots.length >= 2 ? true : undefined), 5000);
  } finally {
    await retimed.stop();
  }
  const daily = createScheduler({ db, jobs: [countingJob('retimed_job', 86_400_000)], tickMs: 20 });
  await daily.start();
  await daily.stop();
  const next = await nextRunAt(db, 'retimed_job');
  assert.ok(next.getTime() - Date.now() > 86_000_000, `a day away under the new, longer interval (${next.toISOString()})`);
});

test('B4 misfire grace: a run later than the grace is skipped and logged, not run; one within the grace runs', async (t) => {
  const url = await pg.createMigratedDatabase();
  const db = ownPool(t, url);
  const job = countingJob('misfire_job', 60_000);
  const warnings: string[] = [];
  const logger: SchedulerLogger = { info: () => undefined, warn: (_fields, msg) => warnings.push(msg), error: () => undefined };
  const register = createScheduler({ db, jobs: [job] });
  await register.start();
  await register.stop();

  // Due 5 s ago with a 1 s grace: too late to run.
  await db.pool.query("UPDATE scheduler_jobs SET next_run_at = now() - interval '5 seconds' WHERE name = 'misfire_job'");
  const due = await nextRunAt(db, 'misfire_job');
  const late = createScheduler({ db: ownPool(t, url), jobs: [job], tickMs: 20, misfireGraceMs: 1000, logger });
  await late.start();
  try {
    const skipped = await eventually('the skip in the job log', async () => (await listJobLog(db, 'misfire_job'))[0]);
    assert.equal(skipped.status, 'skipped');
    assert.match(skipped.detail ?? '', /^misfire: due \d+ ms ago, grace 1000 ms$/);
    assert.ok(Number(/due (\d+) ms/.exec(skipped.detail ?? '')?.[1]) >= 5000);
    assert.ok(warnings.includes('scheduled run skipped: later than its misfire grace'), 'logged');
    await sleep(300);
    assert.equal(job.slots.length, 0, 'the job did not run');
    assert.equal((await nextRunAt(db, 'misfire_job')).getTime(), due.getTime() + 60_000, 'the next slot stays on the schedule');
  } finally {
    await late.stop();
  }

  // Due 200 ms ago: within the grace, it runs.
  await db.pool.query("UPDATE scheduler_jobs SET next_run_at = now() - interval '200 milliseconds' WHERE name = 'misfire_job'");
  const inTime = createScheduler({ db: ownPool(t, url), jobs: [job], tickMs: 20, misfireGraceMs: 1000, logger });
  await inTime.start();
  try {
    await eventually('a run within the grace', async () => (job.slots.length === 1 ? true : undefined));
  } finally {
    await inTime.stop();
  }
  assert.deepEqual((await listJobLog(db, 'misfire_job')).map((entry) => entry.status), ['ok', 'skipped']);
});

test('§3 restart: a new scheduler instance on a new pool continues from the job store (its stored next run, not a fresh schedule)', async (t) => {
  const url = await pg.createMigratedDatabase();
  const firstDb = ownPool(t, url);
  const before = countingJob('restart_job', 1500, 0);
  const first = createScheduler({ db: firstDb, jobs: [before], tickMs: 20 });
  await first.start();
  await eventually('the first run', async () => (before.slots.length >= 1 ? true : undefined));
  await first.stop();
  const stored = await nextRunAt(firstDb, 'restart_job');

  // The new instance would schedule a brand-new job a minute ahead; the stored row wins.
  const afterRestart = countingJob('restart_job', 1500, 60_000);
  const second = createScheduler({ db: ownPool(t, url), jobs: [afterRestart], tickMs: 20 });
  await second.start();
  try {
    assert.equal((await nextRunAt(firstDb, 'restart_job')).getTime(), stored.getTime(), 'registration kept the stored next run');
    await eventually('the run after the restart', async () => (afterRestart.slots.length >= 1 ? true : undefined), 5000);
    assert.equal(afterRestart.slots[0]?.getTime(), stored.getTime(), 'it ran the slot the store had waiting');
  } finally {
    await second.stop();
  }
  assert.equal((await listJobLog(firstDb, 'restart_job')).length, 2, 'both runs in the job log');
});
