/**
 * The payments load driver: reply classification, then virtual users asking
 * the real bot for top-ups on a real stack (`chaosctl up` in its own state
 * folder): every one gets a link and a pending payment, and a provider that
 * fails turns into counted error replies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { classifyTopupReply, isTopupError, paymentsLoadDriver } from '../../cli/drivers/load/payments.ts';
import { arrivalOffsetMs as userOffsetMs } from '../../cli/drivers/load/virtual-users.ts';
import { startClock } from '../../cli/core/clock.ts';
import { EventBus } from '../../cli/core/events.ts';
import { LoadSchema } from '../../cli/drivers/registry.ts';
import type { PaymentsLoadSpec } from '../../cli/drivers/load/payments.ts';
import { stackForThisFile } from './stack-for-file.ts';

function spec(input: Record<string, unknown>): PaymentsLoadSpec {
  return LoadSchema.parse({ driver: 'payments', ...input }) as PaymentsLoadSpec;
}

test('replies: a link is a created payment; the failure text, other texts and silence are errors', () => {
  assert.equal(classifyTopupReply({ ok: true, text: 'Pay here: https://yoomoney.ru/checkout/payments/v2/contract?orderId=2d' }), 'link');
  assert.equal(classifyTopupReply({ ok: true, text: 'Could not create the payment. Please try again.' }), 'topup_failed');
  assert.equal(classifyTopupReply({ ok: true, text: 'Payments are unavailable right now. Please try again later.' }), 'topup_failed');
  assert.equal(classifyTopupReply({ ok: true, text: 'The payment service did not answer in time. No money was taken; please try again.' }), 'topup_failed', 'the target\'s timeout text');
  assert.equal(classifyTopupReply({ ok: true, text: 'The payment service is unavailable right now. No money was taken; please try again later.' }), 'topup_failed');
  assert.equal(classifyTopupReply({ ok: true, text: 'Usage: /topup <amount>, for example /topup 500' }), 'other_reply');
  assert.equal(classifyTopupReply({ ok: false, text: 'Pay here: x' }), 'reply_error');
  assert.equal(classifyTopupReply(null), 'missing');
  assert.equal(isTopupError('link'), false);
  assert.equal(isTopupError('topup_failed'), true);
  assert.equal(userOffsetMs(spec({ users: 10, rate: 4 }), 2), 500);
  assert.equal(userOffsetMs(spec({ users: 10, arrival: 'burst' }), 9), 0);
});

// --- against a real stack ---------------------------------------------------

const stack = stackForThisFile();

async function drive(s: PaymentsLoadSpec, durationMs: number) {
  const { endpoints } = stack;
  assert.ok(endpoints);
  const run = paymentsLoadDriver.start('pay', s, durationMs, { endpoints, clock: startClock(), bus: new EventBus() });
  const timer = setTimeout(() => void run.stop(), durationMs);
  const record = await run.finished;
  clearTimeout(timer);
  return record;
}

test('8 users at once ask for /topup 150: 8 links, 8 pending payments at the provider', { timeout: 60_000 }, async () => {
  const { db } = stack;
  assert.ok(db);
  const record = await drive(spec({ users: 8, firstUser: 301, arrival: 'burst', amount: 150 }), 3000);
  assert.deepEqual(record.statusCounts, { link: 8 }, JSON.stringify(record));
  assert.equal(record.errors, 0);
  assert.equal(record.latency.count, 8);
  assert.ok(record.latency.max > 0 && record.latency.max < 10_000, `max ${record.latency.max}`);
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM payments p JOIN users u ON u.id = p.user_id
     WHERE u.telegram_id BETWEEN 100000301 AND 100000308 AND p.amount = 15000 AND p.status = 'pending' AND p.provider_payment_id IS NOT NULL`,
  );
  assert.equal(rows[0]?.n, '8');
});

test('a provider that refuses: its refusals come back as counted error replies', { timeout: 60_000 }, async () => {
  const { endpoints } = stack;
  assert.ok(endpoints?.sims?.yookassa);
  const forced = await request(new URL('/_sim/faults/errors', endpoints.sims.yookassa), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // 400: a refusal the target does not retry (it retries 5xx within its deadline, which would hide them).
    body: JSON.stringify({ status: 400, count: 2, methods: ['create'] }),
  });
  assert.equal(forced.statusCode, 200, await forced.body.text());
  const record = await drive(spec({ users: 5, firstUser: 401, rate: 10, amount: 99 }), 3000);
  assert.equal(record.statusCounts.topup_failed, 2, JSON.stringify(record.statusCounts));
  assert.equal(record.statusCounts.link, 3);
  assert.equal(record.errors, 2);
});
