/** Scenario fixtures against real PostgreSQL: setup stops at the first failure, teardown runs every batch. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { runFixtures } from '../../cli/engine/fixtures.ts';
import { createThrowawayPostgres, type ThrowawayPostgres } from '../target/support/throwaway-postgres.ts';

let cluster: ThrowawayPostgres;
let pool: pg.Pool;
before(async () => {
  cluster = await createThrowawayPostgres('fixtures');
  pool = new pg.Pool({ connectionString: await cluster.createEmptyDatabase(), max: 2 });
});
after(async () => {
  await pool.end();
  await cluster.dispose();
});

test('setup runs multi-statement batches in order and reports the rows of the last statement', async () => {
  const records = await runFixtures('setup', [
    { name: 'table', sql: 'CREATE TABLE items (id int PRIMARY KEY)' },
    { name: 'rows', sql: 'DELETE FROM items; INSERT INTO items SELECT g FROM generate_series(1, 10000) g;' },
  ], pool);
  assert.deepEqual(records.map((r) => [r.phase, r.name, r.rowCount, r.error]), [
    ['setup', 'table', null, undefined],
    ['setup', 'rows', 10000, undefined],
  ]);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM items')).rows[0].n, 10000);
});

test('a failing setup batch stops the setup and is rolled back as a whole', async () => {
  const records = await runFixtures('setup', [
    { name: 'half', sql: 'INSERT INTO items VALUES (20001); INSERT INTO items VALUES (1);' },
    { name: 'never', sql: 'INSERT INTO items VALUES (30001)' },
  ], pool);
  assert.equal(records.length, 1, 'the second batch did not run');
  assert.match(records[0]?.error ?? '', /duplicate key/);
  const { rows } = await pool.query('SELECT count(*)::int AS n FROM items WHERE id IN (20001, 30001)');
  assert.equal(rows[0].n, 0, 'the first statement of the failed batch was rolled back with it');
});

test('teardown runs every batch even after one fails', async () => {
  const records = await runFixtures('teardown', [
    { name: 'broken', sql: 'DELETE FROM no_such_table' },
    { name: 'clean', sql: 'DELETE FROM items' },
  ], pool);
  assert.match(records[0]?.error ?? '', /no_such_table/);
  assert.equal(records[1]?.rowCount, 10000);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM items')).rows[0].n, 0);
});
