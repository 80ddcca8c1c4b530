/**
 * Payments, credits and subscription purchases against real PostgreSQL: the
 * idempotency key (L8), status changes (C5), exactly-once credit under
 * duplicate webhooks (C7, L9), the top-up + purchase race (L10), and the
 * ledger-idempotency, credit-race and balance-guard sabotage switches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditBalance, creditPayment } from '../../../target/repos/payment-credits.ts';
import {
  createPendingPayment,
  findPaymentByProviderId,
  isDuplicateProviderId,
  markPaymentCanceled,
  markPaymentFailed,
  markPaymentSucceeded,
  recordProviderId,
} from '../../../target/repos/payments.ts';
import { IdempotencyConflictError, InvalidInputError, NotFoundError, PaymentStateError } from '../../../target/repos/repo-errors.ts';
import { listSubscriptionsForUser, purchaseSubscription } from '../../../target/repos/subscriptions.ts';
import type { PurchaseResult } from '../../../target/repos/subscriptions.ts';
import { fundUser, newUser, succeededPayment } from '../support/fixtures.ts';
import { useMigratedDatabases, withSabotage } from '../support/throwaway-postgres.ts';

/** A database of its own for each test, on one cluster for the file. */
const freshDb = useMigratedDatabases('db-payments');

/** Fisher–Yates with a fixed seed, so a failure can be replayed. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const copy = [...items];
  let state = seed;
  for (let i = copy.length - 1; i > 0; i -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

test('L8: 20 concurrent create_payment with one idempotency key make one payment', async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  const request = { idempotencyKey: 'order-1', userId: user.id, provider: 'yookassa' as const, amount: 49_900, purpose: 'topup' as const };
  const results = await Promise.all(Array.from({ length: 20 }, () => createPendingPayment(db, request)));
  assert.equal(results.filter((result) => result.created).length, 1);
  assert.equal(new Set(results.map((result) => result.payment.id)).size, 1);
  assert.equal(results[0]?.payment.status, 'pending');
  const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM payments');
  assert.equal(rows[0]?.n, '1');

  await assert.rejects(createPendingPayment(db, { ...request, amount: 100 }), (error: unknown) => error instanceof IdempotencyConflictError && /amount 49900 ≠ 100/.test(error.message));
  await assert.rejects(createPendingPayment(db, { ...request, idempotencyKey: ' ' }), InvalidInputError);
  await assert.rejects(createPendingPayment(db, { ...request, idempotencyKey: 'order-2', amount: 0 }), InvalidInputError);
  await assert.rejects(createPendingPayment(db, { ...request, idempotencyKey: 'order-3', userId: 999_999 }), NotFoundError);
});

test('provider ids: recorded once, found by webhook, never shared by two payments', async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  const { payment } = await createPendingPayment(db, { idempotencyKey: 'a', userId: user.id, provider: 'cryptopay', amount: 500, currency: 'USDT', purpose: 'subscription' });
  assert.equal((await recordProviderId(db, payment.id, 'inv-1')).providerPaymentId, 'inv-1');
  assert.equal((await recordProviderId(db, payment.id, 'inv-1')).providerPaymentId, 'inv-1', 'repeatable');
  await assert.rejects(recordProviderId(db, payment.id, 'inv-2'), PaymentStateError);
  assert.equal((await findPaymentByProviderId(db, 'cryptopay', 'inv-1'))?.id, payment.id);
  assert.equal(await findPaymentByProviderId(db, 'yookassa', 'inv-1'), null, 'ids are per provider');

  const { payment: other } = await createPendingPayment(db, { idempotencyKey: 'b', userId: user.id, provider: 'cryptopay', amount: 500, currency: 'USDT', purpose: 'topup' });
  await assert.rejects(recordProviderId(db, other.id, 'inv-1'), (error: unknown) => isDuplicateProviderId(error));
});

test('C5: status changes: pending → failed → (late webhook) succeeded; succeeded and canceled are final', async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  const { payment } = await createPendingPayment(db, { idempotencyKey: 'c5', userId: user.id, provider: 'yookassa', amount: 100, purpose: 'topup' });

  const failed = await markPaymentFailed(db, payment.id, 'provider timeout after 30 s');
  assert.deepEqual([failed.changed, failed.payment.status, failed.payment.lastError], [true, 'failed', 'provider timeout after 30 s']);
  assert.equal((await markPaymentFailed(db, payment.id, 'again')).changed, false);

  const succeeded = await markPaymentSucceeded(db, payment.id);
  assert.deepEqual([succeeded.changed, succeeded.payment.status], [true, 'succeeded']);
  assert.ok(succeeded.payment.succeededAt instanceof Date);
  assert.equal((await markPaymentSucceeded(db, payment.id)).changed, false, 'repeatable');
  const stillSucceeded = await markPaymentFailed(db, payment.id, 'late failure');
  assert.deepEqual([stillSucceeded.changed, stillSucceeded.payment.status], [false, 'succeeded']);
  await assert.rejects(markPaymentCanceled(db, payment.id), PaymentStateError);

  const { payment: second } = await createPendingPayment(db, { idempotencyKey: 'c5-2', userId: user.id, provider: 'yookassa', amount: 100, purpose: 'topup' });
  assert.equal((await markPaymentCanceled(db, second.id, 'expired')).payment.status, 'canceled');
  await assert.rejects(markPaymentSucceeded(db, second.id), PaymentStateError);
  await assert.rejects(markPaymentFailed(db, 999_999, 'x'), NotFoundError);
});

test('C7/L9: a payment is credited once, however many (concurrent) webhooks arrive', async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  const { payment: pending } = await createPendingPayment(db, { idempotencyKey: 'p', userId: user.id, provider: 'yookassa', amount: 700, purpose: 'topup' });
  await assert.rejects(creditPayment(db, pending.id), PaymentStateError, 'no credit before the money arrived');
  await assert.rejects(creditPayment(db, 999_999), NotFoundError);

  const payment = await succeededPayment(db, user.id, 1000);
  assert.equal(await creditPayment(db, payment.id), 'credited');
  assert.equal(await creditPayment(db, payment.id), 'already');
  const another = await succeededPayment(db, user.id, 250);
  const results = await Promise.all(Array.from({ length: 30 }, () => creditPayment(db, another.id)));
  assert.equal(results.filter((result) => result === 'credited').length, 1);
  assert.deepEqual(await auditBalance(db, user.id), { balance: 1250, credits: 1250, debits: 0, creditCount: 2, debitCount: 0 });
});

test('sabotage ledger-idempotency: duplicate webhooks credit again; the balance leaves the ledger behind', async (t) => {
  const healthy = await freshDb(t);
  const db = withSabotage(healthy, 'ledger-idempotency');
  const user = await newUser(db);
  const payment = await succeededPayment(db, user.id, 1000);
  const results = [await creditPayment(db, payment.id), await creditPayment(db, payment.id), await creditPayment(db, payment.id)];
  assert.deepEqual(results, ['credited', 'credited', 'credited'], "a healthy target says 'already' twice");
  const audit = await auditBalance(db, user.id);
  assert.equal(audit.balance, 3000, 'credited three times');
  assert.deepEqual([audit.creditCount, audit.credits], [1, 1000], 'the unique constraint still kept the ledger to one row');
});

test('sabotage credit-race: one after the other it still says already; at the same moment it credits again', async (t) => {
  const healthy = await freshDb(t);
  const db = withSabotage(healthy, 'credit-race');
  const user = await newUser(db);
  const sequential = await succeededPayment(db, user.id, 1000);
  assert.deepEqual([await creditPayment(db, sequential.id), await creditPayment(db, sequential.id)], ['credited', 'already'], 'the check sees a committed credit');
  // Ten payments, each credited by five calls at once: the plain read lets more than one through.
  for (let i = 0; i < 10; i += 1) {
    const payment = await succeededPayment(db, user.id, 100);
    await Promise.all(Array.from({ length: 5 }, () => creditPayment(db, payment.id)));
  }
  const audit = await auditBalance(db, user.id);
  assert.equal(audit.creditCount, 11, 'the unique constraint still kept the ledger to one row per payment');
  assert.ok(audit.balance > audit.credits, `the balance (${audit.balance}) rose above the ledger (${audit.credits})`);
});

test('L10: a purchase never overdraws: insufficient funds is an answer, not an error, and writes nothing', async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  await fundUser(db, user.id, 100);
  const refused = await purchaseSubscription(db, { userId: user.id, plan: 'pro', price: 150 });
  assert.deepEqual(refused, { status: 'insufficient_funds', balance: 100, price: 150 });
  assert.deepEqual(await listSubscriptionsForUser(db, user.id), []);

  const first = await purchaseSubscription(db, { userId: user.id, plan: 'pro', price: 40, periodDays: 30 });
  const second = await purchaseSubscription(db, { userId: user.id, plan: 'pro', price: 40, periodDays: 30 });
  assert.equal(first.status, 'purchased');
  assert.equal(second.status, 'purchased');
  if (first.status !== 'purchased' || second.status !== 'purchased') return;
  assert.equal(second.balance, 20);
  assert.equal(second.subscription.periodStart.getTime(), first.subscription.periodEnd.getTime(), 'the second period starts when the first ends');
  assert.deepEqual(await auditBalance(db, user.id), { balance: 20, credits: 100, debits: 80, creditCount: 1, debitCount: 2 });
  await assert.rejects(purchaseSubscription(db, { userId: 999_999, plan: 'pro', price: 1 }), NotFoundError);
  await assert.rejects(purchaseSubscription(db, { userId: user.id, plan: 'pro', price: -1 }), InvalidInputError);
});

test('L10: 10 concurrent purchases against a balance that pays for one: exactly one goes through', async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  await fundUser(db, user.id, 100);
  const results = await Promise.all(Array.from({ length: 10 }, () => purchaseSubscription(db, { userId: user.id, plan: 'pro', price: 60 })));
  assert.equal(results.filter((result) => result.status === 'purchased').length, 1);
  assert.deepEqual(await auditBalance(db, user.id), { balance: 40, credits: 100, debits: 60, creditCount: 1, debitCount: 1 });
});

test('L10 race: top-ups (with duplicate webhooks) and purchases on one user at once: the books balance', async (t) => {
  const db = await freshDb(t);
  const user = await newUser(db);
  const amounts = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000];
  const payments = await Promise.all(amounts.map((amount) => succeededPayment(db, user.id, amount)));
  const price = 300;
  type Outcome = { kind: 'credit'; paymentId: number; result: string } | { kind: 'purchase'; result: PurchaseResult };
  const work: Array<() => Promise<Outcome>> = [
    ...payments.flatMap((payment) =>
      Array.from({ length: 3 }, () => async (): Promise<Outcome> => ({ kind: 'credit', paymentId: payment.id, result: await creditPayment(db, payment.id) })),
    ),
    ...Array.from({ length: 20 }, () => async (): Promise<Outcome> => ({ kind: 'purchase', result: await purchaseSubscription(db, { userId: user.id, plan: 'pro', price }) })),
  ];
  const started = performance.now();
  const outcomes = await Promise.all(shuffled(work).map((run) => run()));
  console.log(`  ${work.length} concurrent credits and purchases in ${(performance.now() - started).toFixed(0)} ms`);

  for (const payment of payments) {
    const credited = outcomes.filter((outcome) => outcome.kind === 'credit' && outcome.paymentId === payment.id && outcome.result === 'credited');
    assert.equal(credited.length, 1, `payment ${payment.id} credited exactly once`);
  }
  const purchased = outcomes.filter((outcome) => outcome.kind === 'purchase' && outcome.result.status === 'purchased').length;
  const audit = await auditBalance(db, user.id);
  const sumOfCredits = amounts.reduce((sum, amount) => sum + amount, 0);
  assert.equal(audit.creditCount, amounts.length);
  assert.equal(audit.credits, sumOfCredits);
  assert.equal(audit.debits, purchased * price);
  assert.equal(audit.balance, sumOfCredits - purchased * price, 'balance = distinct credits − successful purchases');
  assert.ok(audit.balance >= 0);
  assert.equal((await listSubscriptionsForUser(db, user.id)).length, purchased);
  assert.ok(purchased >= 1 && purchased <= Math.floor(sumOfCredits / price), `purchased ${purchased}`);
});

test('sabotage balance-guard: concurrent purchases read the same balance and spend it twice', async (t) => {
  const healthy = await freshDb(t);
  const db = withSabotage(healthy, 'balance-guard');
  // The race needs two purchases to read before either writes; it nearly
  // always happens at once, and a few rounds make the test independent of luck.
  let purchased = 0;
  let audit = { balance: 0, credits: 0, debits: 0, creditCount: 0, debitCount: 0 };
  for (let round = 0; round < 5 && purchased < 2; round += 1) {
    const user = await newUser(db);
    await fundUser(db, user.id, 100);
    const results = await Promise.all(Array.from({ length: 10 }, () => purchaseSubscription(db, { userId: user.id, plan: 'pro', price: 60 })));
    purchased = results.filter((result) => result.status === 'purchased').length;
    audit = await auditBalance(db, user.id);
  }
  assert.ok(purchased >= 2, `a healthy target sells one subscription for 100; this one sold ${purchased}`);
  assert.equal(audit.balance, 40, 'the last write wins: the balance shows one debit');
  assert.equal(audit.debits, purchased * 60, 'while the ledger shows them all');
  assert.notEqual(audit.balance, audit.credits - audit.debits, 'balance ≠ credits − debits');
});
