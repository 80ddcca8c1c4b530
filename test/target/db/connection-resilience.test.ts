/**
 * The connection layer against real PostgreSQL: the pre-ping equivalent
 * (retry once on a fresh connection after a dead one, C2), the db-retry
 * sabotage, the startup wait (§6 init_db), and withTransaction (C1 rollback).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { freePort } from '../../../cli/stack/free-port.ts';
import { isDeadConnectionError, isWorthWaitingFor } from '../../../target/db/dead-connection.ts';
import { createDb } from '../../../target/db/handle.ts';
import type { Db } from '../../../target/db/handle.ts';
import { poolStats } from '../../../target/db/pool.ts';
import { queryOnce, queryRepeatable } from '../../../target/db/query.ts';
import { DatabaseUnavailableError, DEFAULT_STARTUP_RETRY_DELAYS_MS, initDatabase, waitForDatabase } from '../../../target/db/startup.ts';
import { TransactionAbortedError, withTransaction } from '../../../target/db/transaction.ts';
import { auditBalance, creditPayment } from '../../../target/repos/payment-credits.ts';
import { parseSabotage } from '../../../target/sabotage.ts';
import { newUser, succeededPayment } from '../support/fixtures.ts';
import { startHalfOpenRelay } from '../support/half-open-relay.ts';
import type { HalfOpenRelay } from '../support/half-open-relay.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb, withSabotage } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let main: ThrowawayPostgres | undefined;
let late: ThrowawayPostgres | undefined;
const relays: HalfOpenRelay[] = [];

function server(): ThrowawayPostgres {
  assert.ok(main, 'the cluster was not created');
  return main;
}

before(async () => {
  // The second cluster is created but not started: the startup tests start it late.
  [main, late] = await Promise.all([createThrowawayPostgres('db-connection'), createThrowawayPostgres('db-connection-late', { start: false })]);
});

after(async () => {
  await closeTestDbs();
  await Promise.all(relays.map((relay) => relay.close()));
  await Promise.all([main?.dispose(), late?.dispose()]);
});

/** A database reached through a half-open relay, and the relay. */
async function dbBehindRelay(options: { sabotage?: string; migrated?: boolean } = {}): Promise<{ db: Db; pool: pg.Pool; relay: HalfOpenRelay }> {
  const direct = options.migrated ? await server().createMigratedDatabase() : await server().createEmptyDatabase();
  const relay = await startHalfOpenRelay(server().cluster.info.port);
  relays.push(relay);
  const url = new URL(direct);
  url.port = String(relay.port);
  const { db, pool } = openTestDb(url.toString(), options.sabotage ? { sabotage: options.sabotage } : {});
  return { db, pool, relay };
}

/** Opens `count` pooled connections at once so the pool holds that many idle ones. */
async function warm(db: Db, count: number): Promise<void> {
  await Promise.all(Array.from({ length: count }, () => queryRepeatable(db, 'SELECT pg_sleep(0.05)')));
  assert.equal(db.pool.idleCount, count);
}

/** Terminates, from outside, the backend running a statement that contains `marker`, once it shows up. */
async function terminateWhenRunning(marker: string): Promise<number> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const { rows } = await server().admin<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()",
      [`%${marker}%`],
    );
    const pid = rows[0]?.pid;
    if (pid !== undefined) {
      await server().admin('SELECT pg_terminate_backend($1)', [pid]);
      return pid;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no backend ran ${marker}`);
}

test('dead-connection classification: what is retried and what is not', () => {
  const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });
  for (const dead of [
    withCode('57P01'),
    withCode('57P02'),
    withCode('57P03'),
    withCode('08006'),
    withCode('ECONNRESET'),
    withCode('EPIPE'),
    new Error('Connection terminated unexpectedly'),
    new Error('Client has encountered a connection error and is not queryable'),
    new Error('wrapped', { cause: withCode('ECONNRESET') }),
  ]) {
    assert.equal(isDeadConnectionError(dead), true, `${dead.message} ${(dead as { code?: string }).code ?? ''}`);
  }
  for (const alive of [withCode('23505'), withCode('57014'), withCode('40001'), withCode('ECONNREFUSED'), withCode('28P01'), new Error('syntax'), 'string', null]) {
    assert.equal(isDeadConnectionError(alive), false, String(alive));
  }
  assert.equal(isWorthWaitingFor(withCode('ECONNREFUSED')), true);
  assert.equal(isWorthWaitingFor(new Error('timeout exceeded when trying to connect')), true);
  assert.equal(isWorthWaitingFor(new AggregateError([withCode('ECONNREFUSED')])), true);
  assert.equal(isWorthWaitingFor(withCode('28P01')), false, 'a bad password does not heal by waiting');
  assert.equal(isWorthWaitingFor(withCode('3D000')), false, 'nor does a missing database');
});

test('C2: a backend terminated mid-statement (57P01): the repeatable statement is retried once on a fresh connection', async () => {
  const { db, pool } = openTestDb(await server().createEmptyDatabase(), { poolMax: 2, poolBurst: 0 });
  const running = queryRepeatable<{ pid: number }>(db, "SELECT pg_backend_pid() AS pid, pg_sleep(0.4), 'marker-inflight-1'");
  const killed = await terminateWhenRunning('marker-inflight-1');
  const { rows } = await running;
  assert.notEqual(rows[0]?.pid, killed, 'the retry ran on another backend');
  assert.equal(poolStats(pool).deadConnectionRetries, 1);
});

test('sabotage db-retry: the same termination reaches the caller as 57P01', async () => {
  const { db } = openTestDb(await server().createEmptyDatabase(), { poolMax: 2, poolBurst: 0, sabotage: 'db-retry' });
  // Settled into a value at once, so the rejection is never "unhandled" while the test waits.
  const outcome = queryRepeatable(db, "SELECT pg_sleep(0.4), 'marker-inflight-2'").then(
    () => null,
    (error: unknown) => error,
  );
  await terminateWhenRunning('marker-inflight-2');
  assert.equal(((await outcome) as { code?: string } | null)?.code, '57P01');
  assert.equal(poolStats(db.pool).deadConnectionRetries, 0);
});

test('C2: an idle pooled backend terminated with pg_terminate_backend: the next query still succeeds', async () => {
  const { db, pool } = openTestDb(await server().createEmptyDatabase(), { poolMax: 1, poolBurst: 0 });
  const { rows: before } = await queryRepeatable<{ pid: number }>(db, 'SELECT pg_backend_pid() AS pid');
  const killed = before[0]?.pid;
  assert.ok(killed !== undefined);
  await server().admin('SELECT pg_terminate_backend($1)', [killed]);
  const { rows: after } = await queryRepeatable<{ pid: number }>(db, 'SELECT pg_backend_pid() AS pid');
  assert.notEqual(after[0]?.pid, killed);
  assert.equal(poolStats(pool).total, 1);
});

test('C2: every pooled connection half-open: one retry, on a connection opened after the failure; the other suspects discarded unused', async () => {
  const { db, pool, relay } = await dbBehindRelay();
  await warm(db, 3);
  relay.poisonAll();
  const started = performance.now();
  const { rows } = await queryRepeatable<{ ok: number }>(db, 'SELECT 1 AS ok');
  console.log(`  recovered from a half-open pool in ${(performance.now() - started).toFixed(1)} ms`);
  assert.equal(rows[0]?.ok, 1);
  const stats = poolStats(pool);
  assert.equal(stats.deadConnectionRetries, 1, 'one retry');
  assert.equal(stats.staleConnectionsDiscarded, 2, 'the retry threw the two other suspects away unused and opened a new connection');
  assert.equal(stats.total, 1);
  await Promise.all(Array.from({ length: 3 }, () => queryRepeatable(db, 'SELECT pg_sleep(0.05)')));
  assert.equal(poolStats(pool).deadConnectionRetries, 1, 'no further statement met a dead connection');
});

test('sabotage db-retry with a half-open pool: the first statement fails with ECONNRESET', async () => {
  const { db, relay } = await dbBehindRelay({ sabotage: 'db-retry' });
  await warm(db, 2);
  relay.poisonAll();
  await assert.rejects(queryRepeatable(db, 'SELECT 1'), (error: unknown) => isDeadConnectionError(error));
});

test('queryOnce is never retried: a statement that must not run twice surfaces the dead connection', async () => {
  const { db, relay } = await dbBehindRelay();
  await warm(db, 1);
  relay.poisonAll();
  await assert.rejects(queryOnce(db, 'SELECT 1'), (error: unknown) => isDeadConnectionError(error));
  const { rows } = await queryOnce<{ ok: number }>(db, 'SELECT 1 AS ok');
  assert.equal(rows[0]?.ok, 1, 'the next statement gets a fresh connection');
});

test('an idempotent transaction (creditPayment) is retried whole after its connection died, and credits once', async () => {
  const { db, relay } = await dbBehindRelay({ migrated: true });
  const user = await newUser(db);
  const payment = await succeededPayment(db, user.id, 250);
  await warm(db, 2);
  relay.poisonAll();
  assert.equal(await creditPayment(db, payment.id), 'credited');
  assert.equal(await creditPayment(db, payment.id), 'already');
  const audit = await auditBalance(db, user.id);
  assert.deepEqual({ balance: audit.balance, credits: audit.creditCount }, { balance: 250, credits: 1 });
});

test('§6 init_db: PostgreSQL started 1.5 s after the first attempt: the default 1 s/2 s/4 s backoff gets through', async () => {
  assert.ok(late);
  const cluster = late.cluster;
  assert.equal(await cluster.state(), 'stopped');
  const pool = new pg.Pool({ connectionString: cluster.url, connectionTimeoutMillis: 2000, max: 2 });
  const warnings: number[] = [];
  const starter = new Promise<void>((resolve, reject) => {
    setTimeout(() => cluster.start().then(resolve, reject), 1500);
  });
  try {
    const started = performance.now();
    const { attempts, migrations } = await initDatabase(pool, { log: { warn: (fields) => warnings.push(Number(fields.retryInMs)) } });
    const ms = performance.now() - started;
    console.log(`  connected after ${attempts} attempts in ${ms.toFixed(0)} ms; applied ${migrations.applied.length} migrations`);
    assert.ok(attempts >= 2 && attempts <= DEFAULT_STARTUP_RETRY_DELAYS_MS.length + 1, `attempts ${attempts}`);
    assert.deepEqual(warnings, DEFAULT_STARTUP_RETRY_DELAYS_MS.slice(0, attempts - 1), 'each retry waited the next delay of the list');
    assert.ok(migrations.applied.length >= 3, 'and the schema was brought up to date');
  } finally {
    await starter;
    await pool.end();
  }
});

test('§6 init_db: nothing ever listens: fails after the first attempt and 3 retries, with the backoff between them', async () => {
  const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`, connectionTimeoutMillis: 500, max: 1 });
  const delays = [50, 100, 200];
  const started = performance.now();
  try {
    await assert.rejects(waitForDatabase(pool, { retryDelaysMs: delays }), (error: unknown) => {
      assert.ok(error instanceof DatabaseUnavailableError, String(error));
      assert.equal(error.attempts, 4);
      return true;
    });
  } finally {
    await pool.end();
  }
  const ms = performance.now() - started;
  assert.ok(ms >= 350, `the three delays were waited (${ms.toFixed(0)} ms)`);
});

test('§6 init_db: an error waiting cannot fix (no such database) fails at the first attempt', async () => {
  const pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${server().cluster.info.port}/no_such_database`, max: 1 });
  try {
    await assert.rejects(waitForDatabase(pool, { retryDelaysMs: [1000, 1000, 1000] }), (error: unknown) => error instanceof DatabaseUnavailableError && error.attempts === 1);
  } finally {
    await pool.end();
  }
});

test('C1: withTransaction rolls back on any error, rethrows it, and gives the connection back', async () => {
  const { db, pool } = openTestDb(await server().createEmptyDatabase(), { poolMax: 1, poolBurst: 0 });
  await queryOnce(db, 'CREATE TABLE t (id int PRIMARY KEY)');
  for (let i = 0; i < 5; i += 1) {
    const boom = new Error(`boom ${i}`);
    await assert.rejects(
      withTransaction(pool, async (client) => {
        await client.query('INSERT INTO t VALUES ($1)', [i]);
        throw boom;
      }),
      (error: unknown) => error === boom,
    );
  }
  // A failing statement rolls back what came before it in the transaction too.
  await assert.rejects(
    withTransaction(pool, async (client) => {
      await client.query('INSERT INTO t VALUES (100)');
      await client.query('INSERT INTO t VALUES (100)');
    }),
    (error: unknown) => (error as { code?: string }).code === '23505',
  );
  const { rows } = await queryOnce<{ n: number }>(db, 'SELECT count(*)::int AS n FROM t');
  assert.equal(rows[0]?.n, 0, 'nothing of the failed transactions was kept');
  const stats = poolStats(pool);
  assert.deepEqual({ total: stats.total, idle: stats.idle, waiting: stats.waiting }, { total: 1, idle: 1, waiting: 0 }, 'one connection, reused, idle');
  assert.equal(await withTransaction(pool, async (client) => (await client.query('INSERT INTO t VALUES (1)')).rowCount), 1);
});

test('withTransaction: a caught statement error inside it makes COMMIT fail loudly (TransactionAbortedError), nothing saved', async () => {
  const { db, pool } = openTestDb(await server().createEmptyDatabase(), { poolMax: 1, poolBurst: 0 });
  await queryOnce(db, 'CREATE TABLE t (id int PRIMARY KEY)');
  await assert.rejects(
    withTransaction(pool, async (client) => {
      await client.query('INSERT INTO t VALUES (1)');
      await client.query('SELECT no_such_column FROM t').catch(() => undefined);
      return 'done';
    }),
    TransactionAbortedError,
  );
  const { rows } = await queryOnce<{ n: number }>(db, 'SELECT count(*)::int AS n FROM t');
  assert.equal(rows[0]?.n, 0);
});

test('withTransaction: a per-transaction statement_timeout applies inside and does not leak to the next user of the connection', async () => {
  const { db, pool } = openTestDb(await server().createEmptyDatabase(), { poolMax: 1, poolBurst: 0, statementTimeoutMs: 20_000 });
  await assert.rejects(
    withTransaction(pool, (client) => client.query('SELECT pg_sleep(1)'), { statementTimeoutMs: 50 }),
    (error: unknown) => (error as { code?: string }).code === '57014',
  );
  const { rows } = await queryOnce<{ statement_timeout: string }>(db, 'SHOW statement_timeout');
  assert.equal(rows[0]?.statement_timeout, '20s');
  assert.equal(poolStats(pool).total, 1, 'a statement timeout does not cost the connection');
});

test('B1: the pool is sized steady + burst and reports its counters', () => {
  const { pool } = openTestDb('postgres://postgres@127.0.0.1:1/none', { poolMax: 10, poolBurst: 20 });
  assert.deepEqual(poolStats(pool), { total: 0, idle: 0, waiting: 0, max: 30, deadConnectionRetries: 0, staleConnectionsDiscarded: 0 });
  const db = createDb(pool, parseSabotage({ CHAOSCTL_SABOTAGE: 'db-retry' }));
  assert.equal(withSabotage(db, 'reminder-dedup').sabotage.has('db-retry'), false, 'sabotage is per handle, not global');
});
