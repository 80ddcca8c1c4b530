/**
 * What every repository function takes first: the pool, the sabotage
 * switches that are on, and how long to wait before each call-level retry
 * after a connection-level failure (query.ts, transaction.ts). Passing the
 * switches explicitly keeps a broken behaviour visible at the call site
 * instead of hidden in module state.
 */
import type pg from 'pg';
import { NO_SABOTAGE } from '../sabotage.ts';
import type { Sabotage } from '../sabotage.ts';

/**
 * Default waits before the retries of a unit of work whose connection failed:
 * one retry at once (a pooled connection found dead, as after a network cut,
 * needs nothing but a fresh one), then two more 0.5 s and 2 s later, 2.5 s
 * in all. That bridges a PostgreSQL restart (a fast shutdown and start take
 * well under a second on an idle server, a second or two on a busy one)
 * without keeping a user waiting long when the database is really down (C1):
 * then the error comes 2.5 s later than without the retry.
 */
export const DEFAULT_DB_RETRY_DELAYS_MS: readonly number[] = [0, 500, 2000];

export interface Db {
  readonly pool: pg.Pool;
  /** Test-only switches; NO_SABOTAGE in production. */
  readonly sabotage: Sabotage;
  /** Wait before each call-level retry; its length is the number of retries. Empty: no retry (inside a transaction). */
  readonly retryDelaysMs: readonly number[];
}

export interface DbOptions {
  /** Default DEFAULT_DB_RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
}

export function createDb(pool: pg.Pool, sabotage: Sabotage = NO_SABOTAGE, options: DbOptions = {}): Db {
  return { pool, sabotage, retryDelaysMs: options.retryDelaysMs ?? DEFAULT_DB_RETRY_DELAYS_MS };
}
