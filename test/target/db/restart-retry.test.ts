/**
 * The call-level retry across a real PostgreSQL restart (C2: "short
 * disconnect … single errors possible — retry at call level"): a bot update's
 * transaction that meets the restart, in flight or arriving while the server
 * is down, starts over on a new connection and succeeds; with the db-retry
 * switch it fails. A constraint violation is never retried, and neither is a
 * COMMIT whose outcome is unknown. The tests restart their own cluster, so
 * they have a file (and a cluster) of their own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { withUpdateTransaction } from '../../../target/bot/update-transaction.ts';
import { isConnectionLevelError } from '../../../target/db/dead-connection.ts';
import { DEFAULT_DB_RETRY_DELAYS_MS } from '../../../target/db/handle.ts';
import type { Db } from '../../../target/db/handle.ts';
import { poolStats } from '../../../target/db/pool.ts';
import { queryOnce, queryRepeatable } from '../../../target/db/query.ts';
import { runUnitOfWork } from '../../../target/db/transaction.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let main: ThrowawayPostgres | undefined;

function server(): ThrowawayPostgres {
  assert.ok(main, 'the cluster was not created');
  return main;
}

before(async () => {
  main = await createThrowawayPostgres('db-restart');
});

after(async () => {
  await closeTestDbs();
  await main?.dispose();
});

/** A fresh database with table t, and its handle (pool as in production). */
async function freshDb(sabotage?: string): Promise<Db> {
  const { db } = openTestDb(await server().createEmptyDatabase(), { poolMax: 2, poolBurst: 0, ...(sabotage ? { sabotage } : {}) });
  await queryOnce(db, 'CREATE TABLE t (id int PRIMARY KEY)');
  return db;
}

async function rowCount(db: Db): Promise<number> {
  const { rows } = await queryRepeatable<{ n: number }>(db, 'SELECT count(*)::int AS n FROM t');
  return rows[0]?.n ?? -1;
}

/** Waits until a statement containing `marker` runs on the server. */
async function waitUntilRunning(marker: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { rows } = await server().admin("SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()", [`%${marker}%`]);
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no backend ran ${marker}`);
}

/** What pg_ctl restart does: a fast shutdown (every session ended with 57P01), then a start. */
async function restartServer(): Promise<number> {
  const started = performance.now();
  await server().cluster.stop();
  await server().cluster.start();
  return performance.now() - started;
}

/** The outcome of a promise as a value, so a rejection is never "unhandled" while the test waits. */
function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

test('classification: refused and terminated connections are connection-level; constraint violations and timeouts are not', () => {
  const withCode = (code: string): Error => Object.assign(new Error('x'), { code });
  for (const yes of [withCode('57P01'), withCode('57P03'), withCode('ECONNRESET'), withCode('ECONNREFUSED'), new Error('Connection terminated unexpectedly'), new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')])]) {
    assert.equal(isConnectionLevelError(yes), true, String(yes));
  }
  for (const no of [withCode('23505'), withCode('57014'), withCode('40001'), withCode('28P01'), new Error('timeout exceeded when trying to connect'), new AggregateError([])]) {
    assert.equal(isConnectionLevelError(no), false, String(no));
  }
});

test('C2: an update transaction in flight when PostgreSQL restarts starts over on a new connection and commits once', async () => {
  const db = await freshDb();
  let attempts = 0;
  const update = settle(
    withUpdateTransaction(
      db,
      async (tx) => {
        attempts += 1;
        await queryOnce(tx, 'INSERT INTO t VALUES (1)');
        await queryOnce(tx, "SELECT pg_sleep(0.5), 'marker-restart-inflight'");
        return attempts;
      },
      { mayRepeat: () => true },
    ),
  );
  await waitUntilRunning('marker-restart-inflight');
  const restartMs = await restartServer();
  const outcome = await update;
  console.log(`  restart took ${restartMs.toFixed(0)} ms; the update needed ${attempts} attempts`);
  assert.ok(outcome.ok, `the update failed: ${outcome.ok ? '' : String(outcome.error)}`);
  assert.ok(attempts >= 2 && attempts <= DEFAULT_DB_RETRY_DELAYS_MS.length + 1, `attempts ${attempts}`);
  assert.equal(await rowCount(db), 1, 'the first attempt was rolled back by the server, the retry committed');
  assert.ok(poolStats(db.pool).deadConnectionRetries >= 1);
});

test('sabotage db-retry: the same update fails with the server\'s 57P01 and is not run again', async () => {
  const db = await freshDb('db-retry');
  let attempts = 0;
  const update = settle(
    withUpdateTransaction(
      db,
      async (tx) => {
        attempts += 1;
        await queryOnce(tx, 'INSERT INTO t VALUES (1)');
        await queryOnce(tx, "SELECT pg_sleep(0.5), 'marker-restart-sabotaged'");
      },
      { mayRepeat: () => true },
    ),
  );
  await waitUntilRunning('marker-restart-sabotaged');
  await restartServer();
  const outcome = await update;
  assert.equal(outcome.ok, false);
  assert.equal(outcome.ok ? undefined : (outcome.error as { code?: string }).code, '57P01');
  assert.equal(attempts, 1);
  assert.equal(await rowCount(db), 0);
});

test('C2: an update that arrives while PostgreSQL is down waits for it (no mayRepeat needed: the handler had not started)', async () => {
  const db = await freshDb();
  await queryRepeatable(db, 'SELECT 1');
  await server().cluster.stop();
  let handlerRuns = 0;
  const update = settle(
    withUpdateTransaction(db, async (tx) => {
      handlerRuns += 1;
      await queryOnce(tx, 'INSERT INTO t VALUES (2)');
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  await server().cluster.start();
  const outcome = await update;
  assert.ok(outcome.ok, `the update failed: ${outcome.ok ? '' : String(outcome.error)}`);
  assert.equal(handlerRuns, 1, 'the handler ran once, after the server was back');
  assert.equal(await rowCount(db), 1);

  const sabotaged = openTestDb(server().cluster.url, { sabotage: 'db-retry' }).db;
  await server().cluster.stop();
  try {
    const refused = await settle(withUpdateTransaction(sabotaged, () => Promise.resolve()));
    assert.equal(refused.ok, false, 'with db-retry the update fails at once');
    assert.ok(!refused.ok && isConnectionLevelError(refused.error), String(refused.ok ? '' : refused.error));
  } finally {
    await server().cluster.start();
  }
});

test('a constraint violation is not retried, even when the work could be repeated', async () => {
  const db = await freshDb();
  let attempts = 0;
  await assert.rejects(
    runUnitOfWork(
      db,
      async (client) => {
        attempts += 1;
        await client.query('INSERT INTO t VALUES (7)');
        await client.query('INSERT INTO t VALUES (7)');
      },
      { mayRepeatWork: () => true },
    ),
    (error: unknown) => (error as { code?: string }).code === '23505',
  );
  assert.equal(attempts, 1);
  assert.equal(poolStats(db.pool).deadConnectionRetries, 0);
});

test('a handler that already did something outside the database (mayRepeat false) is not run again', async () => {
  const db = await freshDb();
  let attempts = 0;
  const update = settle(
    withUpdateTransaction(
      db,
      async (tx) => {
        attempts += 1;
        await queryOnce(tx, "SELECT pg_sleep(0.5), 'marker-restart-replied'");
      },
      { mayRepeat: () => false },
    ),
  );
  await waitUntilRunning('marker-restart-replied');
  await restartServer();
  const outcome = await update;
  assert.equal(outcome.ok, false);
  assert.equal(attempts, 1);
});

test('a COMMIT whose answer was lost is not retried: it may have committed', async () => {
  const db = await freshDb();
  // A deferred constraint trigger runs at COMMIT and sleeps, so the session can be ended during COMMIT.
  await queryOnce(
    db,
    `CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.5); RETURN NULL; END $$;
     CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();`,
  );
  let attempts = 0;
  const unit = settle(
    runUnitOfWork(
      db,
      async (client) => {
        attempts += 1;
        await client.query('INSERT INTO t VALUES (3)');
      },
      { mayRepeatWork: () => true },
    ),
  );
  await waitUntilRunning('COMMIT');
  const { rows } = await server().admin<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE query = 'COMMIT' AND state = 'active'");
  assert.ok(rows[0], 'the COMMIT was seen running');
  await server().admin('SELECT pg_terminate_backend($1)', [rows[0].pid]);
  const outcome = await unit;
  assert.equal(outcome.ok, false, 'the caller hears about the unknown outcome');
  assert.equal(outcome.ok ? undefined : (outcome.error as { code?: string }).code, '57P01');
  assert.equal(attempts, 1, 'the work was not run again blindly');
  assert.equal(poolStats(db.pool).deadConnectionRetries, 0);
});

test('a COMMIT refused before it was sent (the connection was already gone) is retried with the work: nothing was committed', async () => {
  const db = await freshDb();
  let attempts = 0;
  await runUnitOfWork(
    db,
    async (client) => {
      attempts += 1;
      await client.query('INSERT INTO t VALUES (4)');
      if (attempts === 1) {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await server().admin('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        // Long enough for the client to read the server's goodbye.
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    { mayRepeatWork: () => true },
  );
  assert.equal(attempts, 2);
  assert.equal(await rowCount(db), 1);
});
