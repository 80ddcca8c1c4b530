/**
 * withTransaction: BEGIN, the caller's work, COMMIT; ROLLBACK on any error;
 * the client always goes back to the pool (or is destroyed when its session
 * state is unknown). This is the target's counterpart of the seed's
 * "UserContextMiddleware rolls back" (C1).
 */
import type pg from 'pg';
import { isDeadConnectionError } from './dead-connection.ts';
import type { Db } from './handle.ts';
import { acquireClient, releaseClient } from './pool.ts';
import { retryIfConnectionFailed } from './query.ts';

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  /** Default: read committed. */
  isolation?: IsolationLevel;
  readOnly?: boolean;
  /** statement_timeout for this transaction only (SET LOCAL), overriding the pool's. */
  statementTimeoutMs?: number;
  /** lock_timeout for this transaction only: how long any statement may wait for a lock. */
  lockTimeoutMs?: number;
}

/**
 * COMMIT of a transaction that had already failed answers ROLLBACK instead of
 * an error. That happens when the work swallowed a failed statement and
 * carried on; nothing was saved, and the caller must hear about it.
 */
export class TransactionAbortedError extends Error {
  constructor() {
    super('the transaction had already failed (a statement error was caught inside it), so COMMIT rolled it back');
    this.name = 'TransactionAbortedError';
  }
}

const ISOLATION_SQL: Record<IsolationLevel, string> = {
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
};

/**
 * Runs `work` in a transaction on one pooled client. Not retried: when the
 * connection dies mid-way the error reaches the caller, who may run the whole
 * transaction again only if it is idempotent (see query.ts), or use
 * runUnitOfWork. A connection that dies during COMMIT leaves the outcome
 * unknown; idempotent work is the only safe answer to that.
 */
export function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  return attemptTransaction(pool, work, options, { stage: 'connect' });
}

/** How far one attempt at a transaction got: what a failure there can have left behind. */
interface Progress {
  stage: 'connect' | 'begin' | 'work' | 'commit';
}

async function attemptTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions, progress: Progress): Promise<T> {
  const client = await acquireClient(pool);
  progress.stage = 'begin';
  let result: T;
  try {
    const mode = [`ISOLATION LEVEL ${ISOLATION_SQL[options.isolation ?? 'read committed']}`, options.readOnly ? 'READ ONLY' : 'READ WRITE'];
    await client.query(`BEGIN ${mode.join(' ')}`);
    if (options.statementTimeoutMs !== undefined) {
      await client.query("SELECT set_config('statement_timeout', $1, true)", [`${Math.max(1, Math.round(options.statementTimeoutMs))}ms`]);
    }
    if (options.lockTimeoutMs !== undefined) {
      await client.query("SELECT set_config('lock_timeout', $1, true)", [`${Math.max(1, Math.round(options.lockTimeoutMs))}ms`]);
    }
    progress.stage = 'work';
    result = await work(client);
    progress.stage = 'commit';
    const commit = await client.query('COMMIT');
    if (commit.command === 'ROLLBACK') throw new TransactionAbortedError();
  } catch (error) {
    await rollbackAndRelease(pool, client, error);
    throw error;
  }
  releaseClient(pool, client);
  return result;
}

async function rollbackAndRelease(pool: pg.Pool, client: pg.PoolClient, failure: unknown): Promise<void> {
  if (isDeadConnectionError(failure)) {
    releaseClient(pool, client, failure);
    return;
  }
  try {
    // After a failed COMMIT or a TransactionAbortedError this is a harmless no-op.
    await client.query('ROLLBACK');
  } catch (rollbackError) {
    // The session's state is unknown: never hand this connection out again.
    releaseClient(pool, client, rollbackError, true);
    return;
  }
  releaseClient(pool, client);
}

export interface UnitOfWorkOptions extends TransactionOptions {
  /**
   * Asked after the work itself failed with a connection-level error: true
   * when the work has done nothing outside this transaction yet (no message
   * sent, no provider called, no statement on another connection), so running
   * it again from the start repeats nothing anyone saw. Default: never.
   */
  mayRepeatWork?: () => boolean;
}

/**
 * The messages node-postgres gives when a statement is refused because the
 * client already knew its connection was gone: the statement never left.
 */
const NOT_SENT_MESSAGES: readonly string[] = ['Client has encountered a connection error and is not queryable', 'Client was closed and is not queryable'];

function neverSent(error: unknown): boolean {
  return error instanceof Error && NOT_SENT_MESSAGES.includes(error.message);
}

/**
 * A transaction retried at call level (C2: "single errors possible — retry at
 * call level"): when an attempt fails with a connection-level error and
 * nothing can have been committed, it starts over after each of the handle's
 * retry delays (default: at once, 0.5 s later, 2 s after that), on a
 * connection opened after the failure.
 * What may be retried depends on where the attempt failed:
 *
 * - getting a connection, BEGIN, SET LOCAL: always; the work had not started.
 * - inside the work: only when `mayRepeatWork()` says so. The server rolls
 *   back the open transaction of a session it ends, so nothing of the
 *   attempt was kept in the database; what the work did elsewhere (a reply
 *   already sent) would happen twice.
 * - COMMIT: never, except when node-postgres refused to send it because the
 *   connection was already known dead (then it was not committed, as
 *   above). A COMMIT that was sent and lost its answer may have committed:
 *   running the work again could apply it twice, so the error reaches the
 *   caller, like any constraint violation or statement timeout.
 *
 * With the `db-retry` sabotage switch nothing is retried.
 */
export function runUnitOfWork<T>(db: Db, work: (client: pg.PoolClient) => Promise<T>, options: UnitOfWorkOptions = {}): Promise<T> {
  const { mayRepeatWork, ...transaction } = options;
  let progress: Progress = { stage: 'connect' };
  const mayRetry = (error: unknown): boolean => {
    if (progress.stage === 'connect' || progress.stage === 'begin') return true;
    if (progress.stage === 'commit' && !neverSent(error)) return false;
    return mayRepeatWork?.() ?? false;
  };
  return retryIfConnectionFailed(
    db,
    () => {
      progress = { stage: 'connect' };
      return attemptTransaction(db.pool, work, transaction, progress);
    },
    mayRetry,
  );
}
