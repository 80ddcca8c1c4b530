/**
 * The two ways repositories run a single statement, and the retry rule behind
 * them (C2: "pool_pre_ping recovers; single errors possible — retry at call
 * level").
 *
 * A connection can die after the server executed a statement but before the
 * reply arrived, so a retry may run a statement a second time. Hence:
 *
 * - `queryRepeatable` is for statements whose second execution changes
 *   nothing the first did not: reads, upserts and `ON CONFLICT DO NOTHING`
 *   inserts on a natural key, updates that set absolute values. When it fails
 *   with a connection-level error (isConnectionLevelError: the server ended
 *   the session, the socket reset, the server refused or was starting up) it
 *   runs again after each of the handle's retry delays (default: at once,
 *   0.5 s later, 2 s after that), each time on a connection opened after the
 *   failure, which bridges a short PostgreSQL restart.
 * - `queryOnce` is for everything else (plain inserts, increments). Only
 *   getting a connection is retried, as above: a statement never sent cannot
 *   have run. A connection that dies once the statement was sent is the
 *   caller's error to handle.
 * - Transactions are never retried statement by statement (inside one, the
 *   handle has no retry delays): the whole unit of work is, by
 *   runUnitOfWork in transaction.ts, under the rules written there.
 *
 * The `db-retry` sabotage switch turns every retry off.
 */
import type pg from 'pg';
import { isConnectionLevelError, isDeadConnectionError } from './dead-connection.ts';
import type { Db } from './handle.ts';
import { acquireClient, countDeadConnectionRetry, releaseClient } from './pool.ts';

/** Parameters of a statement, in $1… order. */
export type SqlParams = readonly unknown[];

async function runStatement<R extends pg.QueryResultRow>(pool: pg.Pool, client: pg.PoolClient, text: string, params: SqlParams): Promise<pg.QueryResult<R>> {
  let result: pg.QueryResult<R>;
  try {
    result = await client.query<R>(text, [...params]);
  } catch (error) {
    releaseClient(pool, client, error);
    throw error;
  }
  releaseClient(pool, client);
  return result;
}

/**
 * Runs `attempt`; if it fails because its connection died, runs it once more
 * at once (the failed connection was marked, so the second attempt gets a
 * fresh one). Only for work that is safe to repeat as a whole, including a
 * COMMIT whose outcome is unknown (creditPayment's ledger guard).
 */
export async function retryOnceIfConnectionDied<T>(db: Db, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!isDeadConnectionError(error) || db.sabotage.has('db-retry')) throw error;
    countDeadConnectionRetry(db.pool);
    return attempt();
  }
}

/**
 * Runs `attempt`, and again after each of `db.retryDelaysMs` while it fails
 * with a connection-level error and `mayRetry(error)` agrees (default: yes).
 * The last failure reaches the caller. Only for work that is safe to start
 * over after such a failure; the caller decides what that means.
 */
export async function retryIfConnectionFailed<T>(db: Db, attempt: () => Promise<T>, mayRetry: (error: unknown) => boolean = () => true): Promise<T> {
  for (let retry = 0; ; retry += 1) {
    try {
      return await attempt();
    } catch (error) {
      const delay = db.retryDelaysMs[retry];
      if (delay === undefined || db.sabotage.has('db-retry') || !isConnectionLevelError(error) || !mayRetry(error)) throw error;
      countDeadConnectionRetry(db.pool);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** A connection from the pool; getting one is retried as above (nothing was sent yet). */
export function acquireWithRetry(db: Db): Promise<pg.PoolClient> {
  return retryIfConnectionFailed(db, () => acquireClient(db.pool));
}

/** A statement that is safe to repeat; retried on a fresh connection after a connection-level failure. */
export function queryRepeatable<R extends pg.QueryResultRow>(db: Db, text: string, params: SqlParams = []): Promise<pg.QueryResult<R>> {
  return retryIfConnectionFailed(db, async () => runStatement<R>(db.pool, await acquireClient(db.pool), text, params));
}

/** A statement that must not run twice: only getting its connection is retried. */
export async function queryOnce<R extends pg.QueryResultRow>(db: Db, text: string, params: SqlParams = []): Promise<pg.QueryResult<R>> {
  return runStatement<R>(db.pool, await acquireWithRetry(db), text, params);
}
