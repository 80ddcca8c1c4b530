/**
 * The scheduler: recurring jobs kept in PostgreSQL (table scheduler_jobs,
 * migration 005), so a restarted scheduler continues where it was (§3).
 *
 * Rules of B4, as APScheduler's max_instances=1, coalesce=True and
 * misfire_grace_time=300 would give:
 * - one instance per job at a time: a local flag, plus a lease row in the job
 *   store so two processes cannot run the same job either;
 * - missed runs coalesced: however many intervals passed, the job runs once
 *   and its next run is the first slot in the future;
 * - misfire grace: a run whose latest due slot is older than the grace is
 *   skipped (logged), not run late.
 * A job that throws is logged (job_log + pino + metrics) and never stops the
 * scheduler or the process (C1). Sabotage `job-overlap` drops the
 * one-instance rule; `job-coalesce` drops coalescing (every missed slot runs).
 *
 * Why not pg-boss: its schedules are cron expressions with minute resolution
 * and it runs its own maintenance and polling loops; the chaos scenarios need
 * second-scale intervals, a stop/start that is exactly C3's
 * scheduler.shutdown(), and a store small enough to inspect. One table does it.
 */
import { randomUUID } from 'node:crypto';
import type { SchedulerControl } from '../contracts.ts';
import type { Db } from '../db/handle.ts';
import { queryRepeatable } from '../db/query.ts';
import type { Metrics } from '../metrics/registry.ts';
import type { JobRun, JobWorkResult } from '../repos/job-log.ts';
import { logJobSkip, runLoggedJob } from '../repos/job-log.ts';

/** What a job gets for one run. */
export interface JobContext {
  run: JobRun;
  /** The slot this run stands for (the latest due one when runs were coalesced). */
  scheduledAt: Date;
}

export interface ScheduledJob {
  name: string;
  intervalMs: number;
  /** Delay of the very first run when the job store has no row yet (default: one interval). */
  firstRunAfterMs?: number;
  run(context: JobContext): Promise<JobWorkResult>;
}

export interface SchedulerLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface SchedulerOptions {
  db: Db;
  jobs: readonly ScheduledJob[];
  /** How often due jobs are looked for (default 1000 ms). */
  tickMs?: number;
  /** B4: a run later than this is skipped (default 300 000 ms). */
  misfireGraceMs?: number;
  /** How long a run holds its job in the store before another process may take it (default 15 min). */
  leaseMs?: number;
  /** How long stop() waits for running jobs (default 10 s). */
  stopWaitMs?: number;
  logger?: SchedulerLogger;
  metrics?: Metrics;
}

/** Outcome of one attempt to run a job. */
export type RunOutcome = 'ok' | 'skipped' | 'failed' | 'busy' | 'misfired' | 'not_due';

export interface Scheduler extends SchedulerControl {
  /**
   * Runs a job now, outside its schedule, with the same one-instance rule. `scheduledAt`
   * overrides the slot the run stands for (the harness's run-job action); `onDetail`
   * receives the job's own summary of the run.
   */
  runNow(name: string, options?: RunNowOptions): Promise<RunOutcome>;
  /** Runs currently in progress in this process, by job. */
  running(): ReadonlyMap<string, number>;
}

export interface RunNowOptions {
  scheduledAt?: Date;
  onDetail?: (detail: string) => void;
}

interface ClaimRow {
  scheduled_at: Date;
  latest_slot: Date;
  next_run_at: Date;
  lateness_ms: string;
}

const SILENT: SchedulerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { db } = options;
  const logger = options.logger ?? SILENT;
  const tickMs = Math.max(20, options.tickMs ?? 1000);
  const misfireGraceMs = options.misfireGraceMs ?? 300_000;
  const leaseMs = options.leaseMs ?? 15 * 60_000;
  const stopWaitMs = options.stopWaitMs ?? 10_000;
  const overlap = db.sabotage.has('job-overlap');
  // Sabotage: every missed slot is run in turn instead of once (no coalescing).
  const noCoalesce = db.sabotage.has('job-coalesce');
  const owner = randomUUID();
  const jobs = new Map(options.jobs.map((job) => [job.name, job]));
  /** When each job is next due, as last read from the store (to avoid asking every tick). */
  const nextDue = new Map<string, number>();
  const inProgress = new Map<string, number>();
  const runs = new Set<Promise<unknown>>();
  let timer: NodeJS.Timeout | null = null;
  let registered = false;
  let ticking = false;

  const register = async (): Promise<void> => {
    for (const job of jobs.values()) {
      const { rows } = await queryRepeatable<{ next_run_at: Date }>(
        db,
        // A changed interval (new configuration) starts a new schedule now: the next run is one
        // first-run delay away, instead of the slot the old interval had stored.
        `INSERT INTO scheduler_jobs (name, interval_ms, next_run_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET
           interval_ms = EXCLUDED.interval_ms,
           next_run_at = CASE WHEN scheduler_jobs.interval_ms = EXCLUDED.interval_ms THEN scheduler_jobs.next_run_at
                              ELSE EXCLUDED.next_run_at END
         RETURNING next_run_at`,
        [job.name, job.intervalMs, job.firstRunAfterMs ?? job.intervalMs],
      );
      if (rows[0]) nextDue.set(job.name, rows[0].next_run_at.getTime());
    }
    registered = true;
  };

  /**
   * Takes the job if it is due and (unless sabotaged) nobody holds it, and
   * moves next_run_at past now in the same statement: coalescing.
   */
  const claim = async (job: ScheduledJob, force: boolean): Promise<ClaimRow | null> => {
    const { rows } = await queryRepeatable<ClaimRow>(
      db,
      `WITH due AS (
         SELECT name, next_run_at, interval_ms,
                greatest(0, floor(extract(epoch FROM (now() - next_run_at)) * 1000 / interval_ms)) AS missed
         FROM scheduler_jobs
         WHERE name = $1 AND ($2 OR next_run_at <= now()) AND ($3 OR running_until IS NULL OR running_until < now())
         FOR UPDATE
       )
       UPDATE scheduler_jobs j SET
         running_owner = $4, running_until = now() + $5 * interval '1 millisecond', last_started_at = now(),
         next_run_at = CASE WHEN $2 AND due.next_run_at > now() THEN due.next_run_at
                            WHEN $6 THEN due.next_run_at + due.interval_ms * interval '1 millisecond'
                            ELSE due.next_run_at + (due.missed + 1) * due.interval_ms * interval '1 millisecond' END
       FROM due WHERE j.name = due.name
       RETURNING due.next_run_at AS scheduled_at,
                 CASE WHEN $6 THEN due.next_run_at
                      ELSE least(now(), due.next_run_at + due.missed * due.interval_ms * interval '1 millisecond') END AS latest_slot,
                 j.next_run_at,
                 greatest(0, extract(epoch FROM (now() - (due.next_run_at + due.missed * due.interval_ms * interval '1 millisecond'))) * 1000)::bigint AS lateness_ms`,
      [job.name, force, overlap, owner, leaseMs, noCoalesce],
    );
    return rows[0] ?? null;
  };

  const release = async (job: ScheduledJob, status: 'ok' | 'failed' | 'skipped'): Promise<void> => {
    await queryRepeatable(
      db,
      `UPDATE scheduler_jobs SET running_owner = NULL, running_until = NULL, last_finished_at = now(), last_status = $3
       WHERE name = $1 AND (running_owner = $2 OR $4)`,
      [job.name, owner, status, overlap],
    ).catch((error: unknown) => logger.warn({ job: job.name, err: error }, 'could not release the job lease; it expires by itself'));
  };

  const execute = async (job: ScheduledJob, force: boolean, now: RunNowOptions = {}): Promise<RunOutcome> => {
    if (!overlap && (inProgress.get(job.name) ?? 0) > 0) return 'busy';
    inProgress.set(job.name, (inProgress.get(job.name) ?? 0) + 1);
    const started = performance.now();
    let outcome: RunOutcome = 'failed';
    try {
      let claimed: ClaimRow | null;
      try {
        if (!registered) await register();
        claimed = await claim(job, force);
      } catch (error) {
        // The store is unreachable (C1): the run cannot start, and cannot be logged in job_log either.
        nextDue.set(job.name, Date.now() + job.intervalMs);
        logger.error({ job: job.name, err: error }, 'scheduled job failed: the job store is unreachable');
        // Counted once, in the finally below, like every other failed run.
        outcome = 'failed';
        return outcome;
      }
      if (!claimed) {
        // Not due after all, or held by another instance: re-read the store next tick.
        nextDue.delete(job.name);
        outcome = force ? 'busy' : 'not_due';
        return outcome;
      }
      nextDue.set(job.name, claimed.next_run_at.getTime());
      const lateness = Number(claimed.lateness_ms);
      if (!force && lateness > misfireGraceMs) {
        const runId = randomUUID();
        await logJobSkip(db, { jobName: job.name, runId, detail: `misfire: due ${lateness} ms ago, grace ${misfireGraceMs} ms` }).catch(() => undefined);
        logger.warn({ job: job.name, latenessMs: lateness }, 'scheduled run skipped: later than its misfire grace');
        await release(job, 'skipped');
        outcome = 'misfired';
        return outcome;
      }
      try {
        const result = await runLoggedJob(db, job.name, (run) => job.run({ run, scheduledAt: now.scheduledAt ?? claimed.latest_slot }));
        outcome = result.status;
        if (result.detail) now.onDetail?.(result.detail);
        logger.info({ job: job.name, status: result.status, detail: result.detail, ms: Math.round(performance.now() - started) }, 'scheduled job finished');
      } catch (error) {
        outcome = 'failed';
        now.onDetail?.(error instanceof Error ? error.message : String(error));
        logger.error({ job: job.name, err: error }, 'scheduled job failed');
      }
      await release(job, outcome === 'skipped' ? 'skipped' : outcome === 'ok' ? 'ok' : 'failed');
      return outcome;
    } finally {
      inProgress.set(job.name, (inProgress.get(job.name) ?? 1) - 1);
      if (outcome === 'ok' || outcome === 'skipped' || outcome === 'failed') {
        options.metrics?.jobRuns.inc({ job: job.name, outcome });
        options.metrics?.jobDuration.observe({ job: job.name }, (performance.now() - started) / 1000);
      }
    }
  };

  const track = (promise: Promise<RunOutcome>): Promise<RunOutcome> => {
    runs.add(promise);
    void promise.finally(() => runs.delete(promise));
    return promise;
  };

  const tick = async (): Promise<void> => {
    if (ticking) return;
    ticking = true;
    try {
      if (!registered) {
        try {
          await register();
        } catch (error) {
          logger.error({ err: error }, 'scheduler cannot reach its job store; jobs wait for it');
          return;
        }
      }
      const now = Date.now();
      for (const job of jobs.values()) {
        const due = nextDue.get(job.name);
        if (due !== undefined && due > now) continue;
        if (!overlap && (inProgress.get(job.name) ?? 0) > 0) continue;
        void track(execute(job, false));
      }
    } finally {
      ticking = false;
    }
  };

  return {
    async start() {
      if (timer) return;
      timer = setInterval(() => void tick(), tickMs);
      try {
        await register();
      } catch (error) {
        logger.error({ err: error }, 'scheduler started without its job store; registration is retried every tick');
      }
      logger.info({ jobs: [...jobs.keys()] }, 'scheduler started');
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      registered = false;
      nextDue.clear();
      let waitTimer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        waitTimer = setTimeout(resolve, stopWaitMs);
      });
      await Promise.race([Promise.allSettled([...runs]), waited]);
      clearTimeout(waitTimer);
      logger.info({}, 'scheduler stopped');
    },
    isRunning: () => timer !== null,
    runNow(name, options) {
      const job = jobs.get(name);
      if (!job) return Promise.reject(new Error(`no scheduled job named ${name}`));
      return track(execute(job, true, options));
    },
    running: () => inProgress,
  };
}
