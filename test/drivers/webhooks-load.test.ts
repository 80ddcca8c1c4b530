/**
 * The webhooks load driver: its pure planning and classification, then a small
 * storm against a real stack (`chaosctl up` in its own state folder): every
 * genuine payment credited exactly once, duplicates answered 200 without a
 * second credit, forgeries refused with 400 and never credited.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyDelivery, deliveryCount, deliveryOffsetMs, duplicatesAtOnce, isWebhookError, payerTurns, payingUsers, planDeliveries, webhooksLoadDriver } from '../../cli/drivers/load/webhooks.ts';
import { startClock } from '../../cli/core/clock.ts';
import { EventBus } from '../../cli/core/events.ts';
import type { LoadSecond } from '../../cli/core/journal.ts';
import { LoadSchema } from '../../cli/drivers/registry.ts';
import type { WebhooksLoadSpec } from '../../cli/drivers/load/webhooks.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';
import { stackForThisFile } from './stack-for-file.ts';

function spec(input: Record<string, unknown>): WebhooksLoadSpec {
  return LoadSchema.parse({ driver: 'webhooks', ...input }) as WebhooksLoadSpec;
}

test('planning: shares are exact and evenly spread, the first delivery is genuine', () => {
  const plan = planDeliveries(10, 0.3, 0.2);
  assert.deepEqual(plan, ['genuine', 'duplicate', 'forged', 'genuine', 'duplicate', 'genuine', 'genuine', 'forged', 'duplicate', 'genuine']);
  assert.equal(planDeliveries(1, 0.9, 0)[0], 'genuine');
  assert.deepEqual(planDeliveries(4, 0, 0), ['genuine', 'genuine', 'genuine', 'genuine']);
  const big = planDeliveries(1000, 0.2, 0.1);
  assert.equal(big.filter((k) => k === 'duplicate').length, 200);
  assert.equal(big.filter((k) => k === 'forged').length, 100);
  assert.deepEqual(planDeliveries(10, 0.3, 0.2), plan, 'the same inputs give the same plan');
});

test('planning: count and offsets follow the rate', () => {
  assert.equal(deliveryCount(50 / 60, 30_000), 25);
  assert.equal(deliveryCount(2, 5000), 10);
  assert.equal(deliveryCount(0.01, 1000), 1, 'at least one delivery');
  assert.equal(deliveryOffsetMs(2, 3), 1500);
});

test('outcomes: genuine and duplicate want 200, a forgery wants 400', () => {
  const table: Array<[Parameters<typeof classifyDelivery>[0], number | null, string, boolean]> = [
    ['genuine', 200, 'credited_200', false],
    ['genuine', 503, 'genuine_failed', true],
    ['duplicate', 200, 'duplicate_200', false],
    ['duplicate', 500, 'duplicate_failed', true],
    ['forged', 400, 'forged_400', false],
    ['forged', 200, 'forged_accepted', true],
    ['forged', 503, 'forged_other', true],
    ['genuine', null, 'no_answer', true],
  ];
  for (const [kind, status, outcome, error] of table) {
    assert.equal(classifyDelivery(kind, status), outcome, `${kind} ${status}`);
    assert.equal(isWebhookError(classifyDelivery(kind, status)), error, `${kind} ${status} error`);
  }
  assert.equal(isWebhookError('not_credited'), true);
  assert.equal(isWebhookError('forged_credited'), true);
});

test('schema: duplicates and forgeries must leave room for genuine deliveries', () => {
  assert.equal(LoadSchema.safeParse({ driver: 'webhooks', provider: 'yookassa', rate: 1, duplicates: 0.6, forgeries: 0.4 }).success, false);
  assert.equal(spec({ provider: 'cryptopay', rate: 1 }).amount, 10_000);
});

test('concurrent duplicates: each goes out with the latest genuine delivery before it, so the counts stay the same', () => {
  const plan = planDeliveries(10, 0.6, 0);
  assert.deepEqual(duplicatesAtOnce(plan), [2, 0, 0, 2, 0, 0, 1, 0, 1, 0]);
  assert.equal(duplicatesAtOnce(plan).reduce((a, b) => a + b, 0), plan.filter((k) => k === 'duplicate').length);
  assert.deepEqual(duplicatesAtOnce(['genuine', 'forged', 'duplicate']), [1, 0, 0], 'a forgery in between does not take the duplicate');
});

test('schema: forgeryKinds names only forgeries the provider\'s simulator can send', () => {
  assert.deepEqual(spec({ provider: 'cryptopay', rate: 1, forgeries: 0.5, forgeryKinds: ['missing-signature', 'tampered'] }).forgeryKinds, ['missing-signature', 'tampered']);
  assert.equal(LoadSchema.safeParse({ driver: 'webhooks', provider: 'yookassa', rate: 1, forgeries: 0.5, forgeryKinds: ['tampered'] }).success, false, 'YooKassa signs nothing to tamper with');
  assert.equal(LoadSchema.safeParse({ driver: 'webhooks', provider: 'cryptopay', rate: 1, forgeries: 0.5, forgeryKinds: ['canceled-claim'] }).success, false);
  assert.equal(LoadSchema.safeParse({ driver: 'webhooks', provider: 'cryptopay', rate: 1, forgeries: 0.5, forgeryKinds: [] }).success, false);
});

test('virtual users: numbered from firstUser, taking turns by new payment so a duplicate costs nobody a top-up', () => {
  assert.deepEqual(payingUsers({ users: 3, firstUser: 26001 }), [26001, 26002, 26003]);
  assert.deepEqual(payingUsers({ users: 2 }), [1, 2]);
  assert.deepEqual(payingUsers({}), [], 'no users: the driver pays for a fresh user of its own');
  const plan = planDeliveries(10, 0.2, 0);
  assert.deepEqual(plan, ['genuine', 'genuine', 'duplicate', 'genuine', 'genuine', 'genuine', 'genuine', 'duplicate', 'genuine', 'genuine']);
  // With turns by delivery, users 3 and 8 of 5 would get only duplicates: never a top-up of their own.
  assert.deepEqual(payerTurns(plan, 5), [0, 1, null, 2, 3, 4, 0, null, 1, 2]);
  assert.deepEqual(payerTurns(['genuine', 'forged', 'genuine'], 1), [0, 0, 0]);
  assert.equal(LoadSchema.safeParse({ driver: 'webhooks', provider: 'yookassa', rate: 1, firstUser: 5 }).success, false, 'firstUser needs users');
  assert.equal(LoadSchema.safeParse({ driver: 'webhooks', provider: 'yookassa', rate: 1, users: 5, firstUser: 5 }).success, true);
});

test('endpoints without provider secrets are a clear driver error', () => {
  const endpoints: StackEndpoints = { targetUrl: 'http://127.0.0.1:1', toxiproxyUrl: 'http://127.0.0.1:1', databaseUrl: '', proxies: {}, sims: { yookassa: 'http://127.0.0.1:1' } };
  assert.throws(() => webhooksLoadDriver.start('wh', spec({ provider: 'yookassa', rate: 1 }), 1000, { endpoints, clock: startClock(), bus: new EventBus() }), /no provider secrets/);
});

// --- against a real stack ---------------------------------------------------

const stack = stackForThisFile();

async function storm(provider: 'yookassa' | 'cryptopay') {
  const { endpoints, db } = stack;
  assert.ok(endpoints && db);
  const bus = new EventBus();
  const seconds: LoadSecond[] = [];
  bus.on('load:second', (e) => seconds.push(e.second));
  // 10 deliveries at 5/s: 5 genuine, 3 duplicates, 2 forgeries.
  const run = webhooksLoadDriver.start('wh', spec({ provider, rate: 5, duplicates: 0.3, forgeries: 0.2, amount: 12_345 }), 2000, { endpoints, clock: startClock(), bus });
  const record = await run.finished;
  const { rows } = await db.query<{ status: string; credits: string; credited: string }>(
    `SELECT p.status, count(l.id) AS credits, coalesce(sum(l.amount), 0) AS credited
     FROM payments p LEFT JOIN balance_ledger l ON l.payment_id = p.id
     WHERE p.provider = $1 AND p.amount = 12345 GROUP BY p.id, p.status`,
    [provider],
  );
  const balances = await db.query<{ off: string }>(
    `SELECT count(*) AS off FROM users u WHERE u.balance <> (SELECT coalesce(sum(CASE WHEN l.kind = 'credit' THEN l.amount ELSE -l.amount END), 0) FROM balance_ledger l WHERE l.user_id = u.id)`,
  );
  return { record, seconds, rows, balanceOff: Number(balances.rows[0]?.off) };
}

for (const provider of ['yookassa', 'cryptopay'] as const) {
  test(`a small ${provider} storm: genuine credited once, duplicates 200 without a second credit, forgeries 400`, { timeout: 60_000 }, async () => {
    const { record, seconds, rows, balanceOff } = await storm(provider);
    assert.deepEqual(record.statusCounts, { credited_200: 5, duplicate_200: 3, forged_400: 2 }, JSON.stringify(record));
    assert.equal(record.requests, 10);
    assert.equal(record.errors, 0);
    assert.equal(record.driverError, undefined);
    assert.equal(record.latency.count, 10);
    assert.ok(record.latency.max > 0 && record.latency.max < 3000, `max ${record.latency.max}`);
    assert.ok(seconds.length >= 1, 'per-second samples streamed');
    const succeeded = rows.filter((r) => r.status === 'succeeded');
    assert.equal(succeeded.length, 5, JSON.stringify(rows));
    assert.ok(succeeded.every((r) => r.credits === '1' && r.credited === '12345'), JSON.stringify(rows));
    const unpaid = rows.filter((r) => r.status === 'pending');
    assert.equal(unpaid.length, 2, 'the forged ones stay pending');
    assert.ok(unpaid.every((r) => r.credits === '0'));
    assert.equal(balanceOff, 0, 'every balance equals its ledger');
  });
}

test('with users, the payments belong to those virtual users in turn: an existing row is used, a missing one registered', { timeout: 60_000 }, async () => {
  const { endpoints, db } = stack;
  assert.ok(endpoints && db);
  // Virtual user 990001 exists already (as after the bot saw it), 990002 and 990003 do not.
  await db.query(`INSERT INTO users (telegram_id, first_name, username, balance) VALUES (100990001, 'Already here', 'already_here', 0)`);
  const run = webhooksLoadDriver.start('wh', spec({ provider: 'yookassa', rate: 5, duplicates: 0.2, amount: 23_456, users: 3, firstUser: 990001 }), 2000, {
    endpoints,
    clock: startClock(),
    bus: new EventBus(),
  });
  const record = await run.finished;
  assert.deepEqual(record.statusCounts, { credited_200: 8, duplicate_200: 2 }, JSON.stringify(record));
  const { rows } = await db.query<{ telegram_id: string; first_name: string; credits: string; balance: string }>(
    `SELECT u.telegram_id, u.first_name, u.balance, count(l.id) AS credits
     FROM users u LEFT JOIN balance_ledger l ON l.user_id = u.id AND l.kind = 'credit'
     WHERE u.telegram_id BETWEEN 100990001 AND 100990003 GROUP BY u.id ORDER BY u.telegram_id`,
  );
  // 8 new payments over 3 users in turn: 3, 3, 2; each credited once, duplicates not at all.
  assert.deepEqual(
    rows.map((r) => [Number(r.telegram_id), r.first_name, Number(r.credits), Number(r.balance)]),
    [
      [100990001, 'Already here', 3, 3 * 23_456],
      [100990002, 'User 990002', 3, 3 * 23_456],
      [100990003, 'User 990003', 2, 2 * 23_456],
    ],
  );
  const strangers = await db.query<{ n: string }>(`SELECT count(*) AS n FROM payments WHERE amount = 23456 AND user_id NOT IN (SELECT id FROM users WHERE telegram_id BETWEEN 100990001 AND 100990003)`);
  assert.equal(strangers.rows[0]?.n, '0', 'no payment went to a user of the driver\'s own');
});

test('forgeryKinds: every kind is sent in turn and each is refused with 400 and credits nothing', { timeout: 60_000 }, async () => {
  const { endpoints } = stack;
  assert.ok(endpoints?.sims?.yookassa && endpoints.sims.cryptopay);
  const kinds = { yookassa: ['paid-claim', 'canceled-claim', 'unknown-payment'], cryptopay: ['bad-signature', 'missing-signature', 'tampered', 'unknown-payment'] } as const;
  for (const provider of ['yookassa', 'cryptopay'] as const) {
    const before = await forgedDeliveries(endpoints.sims[provider] ?? '');
    // Four deliveries at 4/s, all forged: each kind at least once.
    const run = webhooksLoadDriver.start('forge', spec({ provider, rate: 4, forgeries: 0.95, forgeryKinds: kinds[provider] }), 1000, { endpoints, clock: startClock(), bus: new EventBus() });
    const record = await run.finished;
    assert.deepEqual(record.statusCounts, { forged_400: 4 }, `${provider}: ${JSON.stringify(record)}`);
    const sent = (await forgedDeliveries(endpoints.sims[provider] ?? '')).slice(before.length);
    assert.equal(sent.length, 4);
    if (provider === 'yookassa') {
      const claims = sent.map((d) => JSON.parse(d.body) as { event: string; object: { id: string } });
      assert.deepEqual(claims.map((c) => c.event), ['payment.succeeded', 'payment.canceled', 'payment.succeeded', 'payment.succeeded']);
    } else {
      const signatures = sent.map((d) => Object.keys(d.headers).some((h) => h.toLowerCase() === 'crypto-pay-api-signature'));
      assert.deepEqual(signatures, [true, false, true, true], 'the second forgery carries no signature');
    }
  }
});

async function forgedDeliveries(simUrl: string): Promise<Array<{ body: string; headers: Record<string, string> }>> {
  const response = await fetch(`${simUrl}/_sim/deliveries?kind=forged`);
  const { deliveries } = (await response.json()) as { deliveries: Array<{ body: string; headers: Record<string, string>; created_at: string }> };
  return deliveries;
}

test('concurrentDuplicates: copies sent with their original are each answered 200, and each payment is credited once', { timeout: 60_000 }, async () => {
  const { endpoints, db } = stack;
  assert.ok(endpoints && db);
  const run = webhooksLoadDriver.start('at-once', spec({ provider: 'cryptopay', rate: 5, duplicates: 0.6, concurrentDuplicates: true, amount: 23_456 }), 2000, { endpoints, clock: startClock(), bus: new EventBus() });
  const record = await run.finished;
  assert.deepEqual(record.statusCounts, { credited_200: 4, duplicate_200: 6 }, JSON.stringify(record));
  assert.equal(record.requests, 10);
  const { rows } = await db.query<{ credits: string }>(
    `SELECT count(l.id) AS credits FROM payments p LEFT JOIN balance_ledger l ON l.payment_id = p.id WHERE p.provider = 'cryptopay' AND p.amount = 23456 GROUP BY p.id`,
  );
  assert.deepEqual(rows.map((r) => r.credits), ['1', '1', '1', '1']);
});
