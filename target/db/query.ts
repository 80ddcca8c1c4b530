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
 *   inserts on a natural key, updates that set absolute values. When the
 *   connection turns out dead it runs once more, on a connection opened after
 *   the failure.
 * - `queryOnce` is for everything else (plain inserts, increments): a dead
 *   connection is the caller's error to handle.
 * - Transactions are never retried statement by statement. A caller whose
 *   whole transaction is idempotent wraps it in `retryOnceIfConnectionDied`.
 *
 * The `db-retry` sabotage switch turns every retry off.
 */
import type pg from 'pg';
import { isDeadConnectionError } from './dead-connection.ts';
import type { Db } from './handle.ts';
import { acquireClient, countDeadConnectionRetry, releaseClient } from './pool.ts';

/** Parameters of a statement, in $1… order. */
export type SqlParams = readonly unknown[];

async function runStatement<R extends pg.QueryResultRow>(pool: pg.Pool, text: string, params: SqlParams): Promise<pg.QueryResult<R>> {
  const client = await acquireClient(pool);
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
 * (the failed connection was marked, so the second attempt gets a fresh one).
 * Only for work that is safe to repeat as a whole.
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

/** A statement that is safe to repeat; retried once on a fresh connection if its connection died. */
export function queryRepeatable<R extends pg.QueryResultRow>(db: Db, text: string, params: SqlParams = []): Promise<pg.QueryResult<R>> {
  return retryOnceIfConnectionDied(db, () => runStatement<R>(db.pool, text, params));
}

/** A statement that must not run twice; never retried. */
export function queryOnce<R extends pg.QueryResultRow>(db: Db, text: string, params: SqlParams = []): Promise<pg.QueryResult<R>> {
  return runStatement<R>(db.pool, text, params);
}
