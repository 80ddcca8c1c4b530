/**
 * withTransaction: BEGIN, the caller's work, COMMIT; ROLLBACK on any error;
 * the client always goes back to the pool (or is destroyed when its session
 * state is unknown). This is the target's counterpart of the seed's
 * "UserContextMiddleware rolls back" (C1).
 */
import type pg from 'pg';
import { isDeadConnectionError } from './dead-connection.ts';
import { acquireClient, releaseClient } from './pool.ts';

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
 * transaction again only if it is idempotent (see query.ts). A connection
 * that dies during COMMIT leaves the outcome unknown; idempotent work is the
 * only safe answer to that.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const client = await acquireClient(pool);
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
    result = await work(client);
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
