/**
 * Migrations (order, idempotence, concurrent starters, drift, rollback of a
 * failed file) and every constraint that carries a seed invariant, against a
 * real throwaway PostgreSQL cluster.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { loadMigrations, migrate, MigrationError, MIGRATIONS_DIR } from '../../../target/db/migrate.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let pg15: ThrowawayPostgres | undefined;
const tempDirs: string[] = [];

function server(): ThrowawayPostgres {
  assert.ok(pg15, 'the cluster was not created');
  return pg15;
}

async function tempMigrationsDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-migrations-test-'));
  tempDirs.push(dir);
  return dir;
}

before(async () => {
  pg15 = await createThrowawayPostgres('db-migrations');
});

after(async () => {
  await closeTestDbs();
  await pg15?.dispose();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const EXPECTED_TABLES = [
  'alert_outbox',
  'analytics_metrics',
  'balance_ledger',
  'conversations',
  'habit_completions',
  'habits',
  'job_log',
  'payments',
  'reminders_sent',
  'scheduler_jobs',
  'schema_migrations',
  'subscriptions',
  'users',
];

async function tables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
  return rows.map((row) => row.table_name);
}

test('migrate applies every file once, in order; a second call applies nothing', async () => {
  const { pool } = openTestDb(await server().createEmptyDatabase());
  const files = (await loadMigrations()).map((migration) => migration.file);
  assert.ok(files.length >= 3);

  const first = await migrate(pool);
  assert.deepEqual(first, { applied: files, alreadyApplied: 0 });
  assert.deepEqual(await tables(pool), EXPECTED_TABLES);

  const second = await migrate(pool);
  assert.deepEqual(second, { applied: [], alreadyApplied: files.length });
  const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  assert.deepEqual(
    rows.map((row) => row.version),
    (await loadMigrations()).map((migration) => migration.version),
  );
});

test('two concurrent migrate() calls on a fresh database: one applies everything, the other nothing, no error', async () => {
  const url = await server().createEmptyDatabase();
  const a = openTestDb(url).pool;
  const b = openTestDb(url).pool;
  const reports = await Promise.all([migrate(a), migrate(b), migrate(a)]);
  const files = (await loadMigrations()).map((migration) => migration.file);
  const appliers = reports.filter((report) => report.applied.length > 0);
  assert.equal(appliers.length, 1, `exactly one call applied migrations: ${JSON.stringify(reports)}`);
  assert.deepEqual(appliers[0]?.applied, files);
  for (const report of reports) if (report !== appliers[0]) assert.deepEqual(report, { applied: [], alreadyApplied: files.length });
  const { rows } = await a.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
  assert.equal(Number(rows[0]?.n), files.length);
  const locks = await a.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'");
  assert.equal(locks.rowCount, 0, 'the advisory lock was released');
});

test('an applied migration that changed on disk is refused; a new file is applied', async () => {
  const dir = await tempMigrationsDir();
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  const { pool } = openTestDb(await server().createEmptyDatabase());
  await migrate(pool, { dir });

  await writeFile(path.join(dir, '900_extra.sql'), 'CREATE TABLE extra (id int);\n');
  assert.deepEqual((await migrate(pool, { dir })).applied, ['900_extra.sql']);

  await writeFile(path.join(dir, '900_extra.sql'), 'CREATE TABLE extra (id bigint);\n');
  await assert.rejects(migrate(pool, { dir }), (error: unknown) => error instanceof MigrationError && /900_extra\.sql was changed/.test(error.message));
});

test('a failing migration leaves nothing behind and is not recorded', async () => {
  const dir = await tempMigrationsDir();
  await writeFile(path.join(dir, '001_good.sql'), 'CREATE TABLE good (id int);\n');
  await writeFile(path.join(dir, '002_bad.sql'), 'CREATE TABLE half (id int);\nSELECT no_such_function();\n');
  const { pool } = openTestDb(await server().createEmptyDatabase());
  await assert.rejects(migrate(pool, { dir }), (error: unknown) => error instanceof MigrationError && /002_bad\.sql failed/.test(error.message));
  assert.deepEqual(await tables(pool), ['good', 'schema_migrations']);
  const { rows } = await pool.query<{ name: string }>('SELECT name FROM schema_migrations');
  assert.deepEqual(
    rows.map((row) => row.name),
    ['good'],
  );
});

test('migration files must be named NNN_name.sql with distinct numbers', async () => {
  const badName = await tempMigrationsDir();
  await writeFile(path.join(badName, '1_users.sql'), 'SELECT 1;\n');
  await assert.rejects(loadMigrations(badName), /must be named NNN_name\.sql/);
  const duplicate = await tempMigrationsDir();
  await writeFile(path.join(duplicate, '001_a.sql'), 'SELECT 1;\n');
  await writeFile(path.join(duplicate, '001_b.sql'), 'SELECT 1;\n');
  await assert.rejects(loadMigrations(duplicate), /share number 1/);
});

interface ConstraintCase {
  name: string;
  /** What the row would break, in seed terms. */
  invariant: string;
  sql: string;
  constraint: string;
  sqlState: string;
}

/** Rows every case can refer to: user 1 (balance 100), habit 1, payment 1 (succeeded, credited), subscription 1 (debited). */
const SEED_SQL = `
  INSERT INTO users (telegram_id, balance) VALUES (1, 100), (2, 0);
  INSERT INTO habits (user_id, title, reminder_time) VALUES (1, 'Read', '09:00');
  INSERT INTO habit_completions (habit_id, day) VALUES (1, '2025-01-01');
  INSERT INTO reminders_sent (habit_id, slot, claim_token) VALUES (1, '2025-01-01T09:00:00Z', gen_random_uuid());
  INSERT INTO payments (user_id, provider, provider_payment_id, idempotency_key, amount, purpose, status, succeeded_at)
    VALUES (1, 'yookassa', 'yk-1', 'key-1', 100, 'topup', 'succeeded', now());
  INSERT INTO balance_ledger (user_id, kind, amount, payment_id) VALUES (1, 'credit', 100, 1);
  INSERT INTO subscriptions (user_id, plan, price, period_start, period_end) VALUES (1, 'pro', 50, now(), now() + interval '30 days');
  INSERT INTO balance_ledger (user_id, kind, amount, subscription_id) VALUES (1, 'debit', 50, 1);
`;

const CONSTRAINT_CASES: ConstraintCase[] = [
  { name: 'negative balance', invariant: 'L10 balance never negative', sql: 'UPDATE users SET balance = balance - 101 WHERE id = 1', constraint: 'users_balance_not_negative', sqlState: '23514' },
  { name: 'second user with one Telegram id', invariant: 'L1 /start registers once', sql: 'INSERT INTO users (telegram_id) VALUES (1)', constraint: 'users_telegram_id_unique', sqlState: '23505' },
  { name: 'second completion of a day', invariant: 'L2 habit_done idempotent', sql: "INSERT INTO habit_completions (habit_id, day) VALUES (1, '2025-01-01')", constraint: 'habit_completions_one_per_day', sqlState: '23505' },
  {
    name: 'second reminder for a slot',
    invariant: 'L5 one reminder per habit per slot',
    sql: "INSERT INTO reminders_sent (habit_id, slot, claim_token) VALUES (1, '2025-01-01T09:00:00Z', gen_random_uuid())",
    constraint: 'reminders_sent_one_per_slot',
    sqlState: '23505',
  },
  {
    name: 'reminder slot not on a whole minute',
    invariant: 'L5 slots compare equal',
    sql: "INSERT INTO reminders_sent (habit_id, slot, claim_token) VALUES (1, '2025-01-02T09:00:30Z', gen_random_uuid())",
    constraint: 'reminders_sent_whole_minute',
    sqlState: '23514',
  },
  { name: 'second credit of a payment', invariant: 'C7/L9 no double credit', sql: "INSERT INTO balance_ledger (user_id, kind, amount, payment_id) VALUES (1, 'credit', 100, 1)", constraint: 'balance_ledger_one_credit_per_payment', sqlState: '23505' },
  { name: 'credit without a payment', invariant: 'every balance change has a reason', sql: "INSERT INTO balance_ledger (user_id, kind, amount) VALUES (1, 'credit', 5)", constraint: 'balance_ledger_reason', sqlState: '23514' },
  { name: 'second debit of a subscription', invariant: 'L10 one debit per purchase', sql: "INSERT INTO balance_ledger (user_id, kind, amount, subscription_id) VALUES (1, 'debit', 50, 1)", constraint: 'balance_ledger_one_debit_per_subscription', sqlState: '23505' },
  {
    name: 'second payment with one idempotency key',
    invariant: 'L8 idempotency',
    sql: "INSERT INTO payments (user_id, provider, idempotency_key, amount, purpose) VALUES (1, 'yookassa', 'key-1', 100, 'topup')",
    constraint: 'payments_idempotency_key_unique',
    sqlState: '23505',
  },
  {
    name: 'second payment with one provider id',
    invariant: 'C7 a webhook finds one payment',
    sql: "INSERT INTO payments (user_id, provider, provider_payment_id, idempotency_key, amount, purpose) VALUES (1, 'yookassa', 'yk-1', 'key-2', 100, 'topup')",
    constraint: 'payments_provider_payment_id_unique',
    sqlState: '23505',
  },
  {
    name: 'unknown payment status',
    invariant: 'status pending|succeeded|canceled|failed',
    sql: "INSERT INTO payments (user_id, provider, idempotency_key, amount, purpose, status) VALUES (1, 'yookassa', 'key-6', 100, 'topup', 'refunded')",
    constraint: 'payments_status',
    sqlState: '23514',
  },
  { name: 'succeeded payment turned failed', invariant: 'C7 credited money stays credited', sql: "UPDATE payments SET status = 'failed', succeeded_at = NULL WHERE id = 1", constraint: 'payments_status_change', sqlState: '23514' },
  {
    name: 'payment purpose',
    invariant: 'purpose topup|subscription',
    sql: "INSERT INTO payments (user_id, provider, idempotency_key, amount, purpose) VALUES (1, 'yookassa', 'key-3', 100, 'gift')",
    constraint: 'payments_purpose',
    sqlState: '23514',
  },
  {
    name: 'zero amount',
    invariant: 'amounts are positive',
    sql: "INSERT INTO payments (user_id, provider, idempotency_key, amount, purpose) VALUES (1, 'yookassa', 'key-4', 0, 'topup')",
    constraint: 'payments_amount_positive',
    sqlState: '23514',
  },
  { name: 'payment of an unknown user', invariant: 'L10 FK', sql: "INSERT INTO payments (user_id, provider, idempotency_key, amount, purpose) VALUES (999, 'yookassa', 'key-5', 1, 'topup')", constraint: 'payments_user_id_fkey', sqlState: '23503' },
  { name: 'habit of an unknown user', invariant: 'FK', sql: "INSERT INTO habits (user_id, title) VALUES (999, 'x')", constraint: 'habits_user_id_fkey', sqlState: '23503' },
  { name: 'habit in an unknown time zone', invariant: 'L5 the due query never meets a bad zone', sql: "INSERT INTO habits (user_id, title, timezone) VALUES (1, 'x', 'Mars/Olympus')", constraint: 'habits_known_time_zone', sqlState: '23514' },
  { name: 'alert severity', invariant: '§4 critical|warning|info', sql: "INSERT INTO alert_outbox (event_key, severity, source, text) VALUES ('x', 'fatal', 's', 't')", constraint: 'alert_outbox_severity', sqlState: '23514' },
  { name: 'job status', invariant: 'ok|failed|skipped', sql: "INSERT INTO job_log (job_name, run_id, status, finished_at) VALUES ('j', 'r', 'done', now())", constraint: 'job_log_status', sqlState: '23514' },
  { name: 'finished job without a finish time', invariant: 'job log is consistent', sql: "INSERT INTO job_log (job_name, run_id, status) VALUES ('j', 'r', 'ok')", constraint: 'job_log_finished', sqlState: '23514' },
];

test('every constraint refuses the row that would break its invariant', async (t) => {
  const { pool } = openTestDb(await server().createMigratedDatabase());
  await pool.query(SEED_SQL);
  for (const testCase of CONSTRAINT_CASES) {
    await t.test(`${testCase.name} (${testCase.invariant})`, async () => {
      await assert.rejects(pool.query(testCase.sql), (error: unknown) => {
        const { code, constraint } = error as { code?: string; constraint?: string };
        assert.equal(constraint, testCase.constraint, (error as Error).message);
        assert.equal(code, testCase.sqlState);
        return true;
      });
    });
  }
  const { rows } = await pool.query<{ balance: string }>('SELECT balance FROM users WHERE id = 1');
  assert.equal(rows[0]?.balance, '100', 'nothing was changed by the refused statements');
});
