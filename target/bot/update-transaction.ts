/**
 * One transaction per update (seed C1, "UserContextMiddleware rolls back").
 *
 * The repositories take a `Db` and check a client out of `db.pool` for each
 * statement. To run them all in one transaction without changing them, the
 * handler gets a `Db` whose "pool" always hands out the transaction's own
 * client and never really releases it. A repository that opens a
 * transaction of its own (purchaseSubscription) gets a savepoint instead:
 * its BEGIN / COMMIT / ROLLBACK become SAVEPOINT / RELEASE / ROLLBACK TO, so
 * it is still all-or-nothing inside the update and cannot commit the update's
 * work early.
 *
 * The update is retried at call level (C2) by runUnitOfWork: when the
 * database connection fails before the handler starts (the server is
 * restarting), the update waits and starts over on a new connection instead
 * of answering with an error. A failure inside the handler is retried only
 * when the caller's `mayRepeat` says the handler did nothing outside the
 * database yet; a failed COMMIT never is (see db/transaction.ts).
 */
import type pg from 'pg';
import type { Db } from '../db/handle.ts';
import { createDb } from '../db/handle.ts';
import { runUnitOfWork } from '../db/transaction.ts';

export interface UpdateTransactionOptions {
  /**
   * Asked after the handler failed with a connection-level error: true when
   * it has sent nothing and called no one yet, so it may run again from the
   * start. Without it such a failure reaches the error boundary.
   */
  mayRepeat?: () => boolean;
}

/**
 * Runs `work` with a Db whose every statement belongs to one transaction,
 * committed when `work` resolves and rolled back when it throws. Statements
 * inside are not retried one by one (the handle has no retry delays): the
 * update as a whole is.
 */
export function withUpdateTransaction<T>(db: Db, work: (txDb: Db) => Promise<T>, options: UpdateTransactionOptions = {}): Promise<T> {
  return runUnitOfWork(db, (client) => work(createDb(transactionPool(client), db.sabotage, { retryDelaysMs: [] })), {
    ...(options.mayRepeat ? { mayRepeatWork: options.mayRepeat } : {}),
  });
}

/** BEGIN opens a savepoint; COMMIT and ROLLBACK close the innermost one (or the statement runs as given when none is open). */
function nestedStatement(client: pg.PoolClient, text: string, savepoints: string[]): Promise<pg.QueryResult> | null {
  const head = text.trimStart().slice(0, 16).toUpperCase();
  if (head.startsWith('BEGIN')) {
    const name = `bot_nested_${savepoints.length + 1}`;
    savepoints.push(name);
    return client.query(`SAVEPOINT ${name}`);
  }
  const innermost = savepoints.at(-1);
  if (innermost === undefined) return null;
  if (head.startsWith('COMMIT')) {
    // Popped only when released: a failed RELEASE is followed by a ROLLBACK to the same savepoint.
    return client.query(`RELEASE SAVEPOINT ${innermost}`).then((result) => {
      savepoints.pop();
      return result;
    });
  }
  if (head.startsWith('ROLLBACK')) {
    savepoints.pop();
    return client.query(`ROLLBACK TO SAVEPOINT ${innermost}`);
  }
  return null;
}

/**
 * The minimum of pg.Pool the repositories and db/pool.ts use: connect(),
 * on(), options.max. The client it hands out is the transaction's, with
 * release() made harmless and transaction statements turned into savepoints.
 */
function transactionPool(client: pg.PoolClient): pg.Pool {
  const savepoints: string[] = [];
  const scoped = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'release') return () => undefined;
      if (property === 'query') {
        return (...args: unknown[]) => {
          const [first] = args;
          if (typeof first === 'string') {
            const nested = nestedStatement(target, first, savepoints);
            if (nested !== null) return nested;
          }
          // The arguments are passed on exactly as the repository gave them.
          return (target.query as (...rest: unknown[]) => unknown).apply(target, args);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...rest: unknown[]) => unknown).bind(target) : value;
    },
  });
  const pool = {
    options: { max: 1 },
    connect: () => Promise.resolve(scoped),
    on: () => pool,
    totalCount: 1,
    idleCount: 0,
    waitingCount: 0,
  };
  // Only the members above are used by the repositories (see db/query.ts and
  // db/pool.ts); the cast keeps their `Db` type unchanged.
  return pool as unknown as pg.Pool;
}
