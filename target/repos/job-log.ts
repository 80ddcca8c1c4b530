/**
 * The scheduler's job log: one row per run (running → ok | failed | skipped),
 * plus one row per item a run skipped (C9: "log_job_skip"). Written while the
 * database works; when it does not, the job's failure only reaches the
 * process log, and the row of a run that could not be closed stays 'running'.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/handle.ts';
import { queryOnce, queryRepeatable } from '../db/query.ts';
import { toSafeInteger } from '../db/sql-values.ts';

export type JobStatus = 'running' | 'ok' | 'failed' | 'skipped';

/** A run in progress, as startJobRun returned it. */
export interface JobRun {
  id: number;
  jobName: string;
  runId: string;
  startedAt: Date;
}

export interface JobLogEntry extends JobRun {
  finishedAt: Date | null;
  status: JobStatus;
  detail: string | null;
}

type JobLogRow = { id: string; job_name: string; run_id: string; started_at: Date; finished_at: Date | null; status: JobStatus; detail: string | null };

const JOB_LOG_COLUMNS = 'id, job_name, run_id, started_at, finished_at, status, detail';

function entryFromRow(row: JobLogRow): JobLogEntry {
  return {
    id: toSafeInteger(row.id, 'job_log.id'),
    jobName: row.job_name,
    runId: row.run_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status,
    detail: row.detail,
  };
}

/** Opens a run. A plain insert, never retried (a retry could leave a second 'running' row). */
export async function startJobRun(db: Db, jobName: string, runId: string = randomUUID()): Promise<JobRun> {
  const { rows } = await queryOnce<JobLogRow>(db, `INSERT INTO job_log (job_name, run_id) VALUES ($1, $2) RETURNING ${JOB_LOG_COLUMNS}`, [jobName, runId]);
  const row = rows[0];
  if (!row) throw new Error('insert into job_log returned no row');
  const { id, startedAt } = entryFromRow(row);
  return { id, jobName, runId, startedAt };
}

async function closeRun(db: Db, run: JobRun, status: Exclude<JobStatus, 'running'>, detail: string | null): Promise<boolean> {
  const { rowCount } = await queryRepeatable(
    db,
    `UPDATE job_log SET status = $2, detail = $3, finished_at = greatest(now(), started_at) WHERE id = $1 AND status = 'running'`,
    [run.id, status, detail],
  );
  return (rowCount ?? 0) > 0;
}

/** Closes a run as ok. Repeatable; false when it was already closed. */
export function finishJobRun(db: Db, run: JobRun, detail?: string): Promise<boolean> {
  return closeRun(db, run, 'ok', detail ?? null);
}

/** Closes a run as failed, with the error's message. Repeatable. */
export function failJobRun(db: Db, run: JobRun, error: unknown): Promise<boolean> {
  return closeRun(db, run, 'failed', error instanceof Error ? error.message : String(error));
}

/** Closes a run as skipped (nothing to do, or another instance is running it). Repeatable. */
export function skipJobRun(db: Db, run: JobRun, reason: string): Promise<boolean> {
  return closeRun(db, run, 'skipped', reason);
}

/** log_job_skip: one item of a run was skipped (a user blocked the bot: C9). A plain insert, not retried. */
export async function logJobSkip(db: Db, entry: { jobName: string; runId: string; detail: string }): Promise<JobLogEntry> {
  const { rows } = await queryOnce<JobLogRow>(
    db,
    `INSERT INTO job_log (job_name, run_id, status, detail, finished_at) VALUES ($1, $2, 'skipped', $3, now()) RETURNING ${JOB_LOG_COLUMNS}`,
    [entry.jobName, entry.runId, entry.detail],
  );
  const row = rows[0];
  if (!row) throw new Error('insert into job_log returned no row');
  return entryFromRow(row);
}

/** The latest rows of a job, newest first. Repeatable. */
export async function listJobLog(db: Db, jobName: string, options: { limit?: number } = {}): Promise<JobLogEntry[]> {
  const { rows } = await queryRepeatable<JobLogRow>(db, `SELECT ${JOB_LOG_COLUMNS} FROM job_log WHERE job_name = $1 ORDER BY started_at DESC, id DESC LIMIT $2`, [
    jobName,
    options.limit ?? 20,
  ]);
  return rows.map(entryFromRow);
}

/** Everything logged under one run id (the run and its skips), oldest first. Repeatable. */
export async function listJobRunEntries(db: Db, runId: string): Promise<JobLogEntry[]> {
  const { rows } = await queryRepeatable<JobLogRow>(db, `SELECT ${JOB_LOG_COLUMNS} FROM job_log WHERE run_id = $1 ORDER BY id`, [runId]);
  return rows.map(entryFromRow);
}

/** What a job's work reports when it did not throw. */
export interface JobWorkResult {
  status: 'ok' | 'skipped';
  detail?: string;
}

/**
 * Runs `work` as one logged run of `jobName`: opens the run, closes it as ok
 * or skipped by what `work` returns, or as failed when it throws (and then
 * rethrows). If the failure cannot be logged either (the database is down),
 * the original error still reaches the caller.
 */
export async function runLoggedJob<T extends JobWorkResult>(db: Db, jobName: string, work: (run: JobRun) => Promise<T>, runId?: string): Promise<T> {
  const run = await startJobRun(db, jobName, runId);
  let result: T;
  try {
    result = await work(run);
  } catch (error) {
    await failJobRun(db, run, error).catch(() => undefined);
    throw error;
  }
  if (result.status === 'skipped') await skipJobRun(db, run, result.detail ?? 'skipped');
  else await finishJobRun(db, run, result.detail);
  return result;
}
