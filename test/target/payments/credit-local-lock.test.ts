/**
 * creditPayment under concurrency, in one process and in two (C7, L10 with
 * several instances): the per-process lock serializes one process's calls, and
 * the row lock plus the unique ledger insert keep two processes to one credit.
 * Sabotage credit-local-lock leaves only the per-process lock: still one credit
 * in one process, two when two processes credit the same payment at once.
 * A second process is a second copy of the module (its own lock map), on its
 * own pool, against the same database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../../target/db/handle.ts';
import * as first from '../../../target/repos/payment-credits.ts';
import { newUser, succeededPayment } from '../support/fixtures.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

type Credits = typeof first;

let pg: ThrowawayPostgres;
let second: Credits;

before(async () => {
  pg = await createThrowawayPostgres('credit-local-lock');
  // A query string makes the ESM loader evaluate the module again: another process's memory.
  const specifier: string = new URL('../../../target/repos/payment-credits.ts?second-process', import.meta.url).href;
  second = (await import(specifier)) as Credits;
  assert.notEqual(second.creditPayment, first.creditPayment);
});
after(async () => {
  await closeTestDbs();
  await pg.dispose();
});

/** How many of `payments` fresh payments end with a balance above their ledger, each credited by every caller at once. */
async function doubled(callers: Array<{ credits: Credits; db: Db }>, payments: number): Promise<{ off: number; results: string[] }> {
  const setup = callers[0]?.db;
  assert.ok(setup);
  let off = 0;
  const results: string[] = [];
  for (let i = 0; i < payments; i += 1) {
    const user = await newUser(setup);
    const payment = await succeededPayment(setup, user.id, 1000);
    results.push(...(await Promise.all(callers.map((c) => c.credits.creditPayment(c.db, payment.id)))));
    const audit = await first.auditBalance(setup, user.id);
    assert.equal(audit.creditCount, 1, 'the unique ledger insert keeps one ledger row whatever happens');
    if (audit.balance !== audit.credits - audit.debits) off += 1;
  }
  return { off, results };
}

test('healthy: two processes crediting the same payment at once credit it once', { timeout: 60_000 }, async () => {
  const url = await pg.createMigratedDatabase();
  const a = openTestDb(url).db;
  const b = openTestDb(url).db;
  const { off, results } = await doubled([{ credits: first, db: a }, { credits: second, db: b }, { credits: first, db: a }, { credits: second, db: b }], 15);
  assert.equal(off, 0);
  assert.equal(results.filter((r) => r === 'credited').length, 15);
});

test('credit-local-lock, one process: concurrent calls take turns and credit once', { timeout: 60_000 }, async () => {
  const url = await pg.createMigratedDatabase();
  const db = openTestDb(url, { sabotage: 'credit-local-lock' }).db;
  const { off, results } = await doubled([{ credits: first, db }, { credits: first, db }, { credits: first, db }], 15);
  assert.equal(off, 0);
  assert.equal(results.filter((r) => r === 'credited').length, 15);
});

test('credit-local-lock, two processes at once: some payment is credited twice', { timeout: 60_000 }, async () => {
  const url = await pg.createMigratedDatabase();
  const a = openTestDb(url, { sabotage: 'credit-local-lock' }).db;
  const b = openTestDb(url, { sabotage: 'credit-local-lock' }).db;
  const { off } = await doubled([{ credits: first, db: a }, { credits: second, db: b }], 15);
  assert.ok(off > 0, 'no payment was credited twice by two processes at once');
});

test('inTurn runs calls for one payment one after another, and other payments alongside', async () => {
  const order: string[] = [];
  const step = (label: string, ms: number) => async (): Promise<string> => {
    order.push(`${label} start`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    order.push(`${label} end`);
    return label;
  };
  const results = await Promise.all([first.inTurn(1, step('a1', 30)), first.inTurn(1, step('b1', 1)), first.inTurn(2, step('c2', 1))]);
  assert.deepEqual(results, ['a1', 'b1', 'c2']);
  assert.ok(order.indexOf('b1 start') > order.indexOf('a1 end'), order.join(', '));
  assert.ok(order.indexOf('c2 end') < order.indexOf('a1 end'), order.join(', '));
});

test('inTurn: a failed call does not stop the next one', async () => {
  const failing = first.inTurn(7, () => Promise.reject(new Error('boom')));
  const next = first.inTurn(7, () => Promise.resolve('ran'));
  await assert.rejects(failing, /boom/);
  assert.equal(await next, 'ran');
});
