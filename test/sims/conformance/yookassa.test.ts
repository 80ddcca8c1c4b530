/**
 * Conformance: @a2seven/yoo-checkout, a published YooKassa client, runs its
 * ordinary calls against the simulator over verified HTTPS; the only change
 * from production is its API root (the library keeps it in `root`, with no
 * constructor option, so that one property is set).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { YooCheckout } from '@a2seven/yoo-checkout';
import type { ICreatePayment } from '@a2seven/yoo-checkout';
import { buildYooKassaSim } from '../../../target/sims/yookassa/sim.ts';
import type { YooKassaSim } from '../../../target/sims/yookassa/sim.ts';
import type { TrustedTls } from './trusted-tls.ts';
import { makeTrustedTls } from './trusted-tls.ts';

const SHOP = { shopId: '424242', secretKey: 'test_conformance_secret_key' };

let trusted: TrustedTls;
let sim: YooKassaSim;
let apiRoot = '';

before(async () => {
  trusted = await makeTrustedTls();
  trusted.trustInDefaultAgent();
  sim = buildYooKassaSim({ ...SHOP, tls: trusted.tls });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  apiRoot = `${url.replace('http://', 'https://')}/v3`;
});
after(async () => {
  await sim.app.close();
  await trusted.dispose();
});

function checkout(credentials = SHOP): YooCheckout {
  const client = new YooCheckout(credentials);
  (client as { root: string }).root = apiRoot;
  return client;
}

const PAYMENT: ICreatePayment = {
  amount: { value: '249.90', currency: 'RUB' },
  confirmation: { type: 'redirect', return_url: 'https://example.com/return' },
  capture: true,
  description: 'Top-up',
  metadata: { order: '7' },
};

/** What the library throws: the axios error copied onto its ErrorResponse. */
interface LibraryError {
  response?: { status: number; headers: Record<string, string>; data: { type: string; id: string; code: string; description?: string; parameter?: string; retry_after?: number } };
}

async function failure(call: Promise<unknown>): Promise<NonNullable<LibraryError['response']>> {
  try {
    await call;
  } catch (error) {
    const response = (error as LibraryError).response;
    assert.ok(response, `the library error carries the HTTP answer: ${String(error)}`);
    return response;
  }
  assert.fail('the call was expected to fail');
}

test('createPayment with an Idempotence-Key; the same key and body replays the same payment', async () => {
  const client = checkout();
  const key = randomUUID();
  const created = await client.createPayment(PAYMENT, key);
  assert.equal(created.status, 'pending');
  assert.equal(created.paid, false);
  assert.deepEqual(created.amount, { value: '249.90', currency: 'RUB' });
  assert.equal(created.metadata.order, '7');
  assert.match(created.confirmation.confirmation_url ?? '', /^https:\/\//);
  const replay = await client.createPayment(PAYMENT, key);
  assert.equal(replay.id, created.id);
  assert.equal(sim.control.payments().filter((p) => p.id === created.id).length, 1);
  assert.equal(sim.control.counters().idempotent_replays, 1);
  const conflict = await failure(client.createPayment({ ...PAYMENT, description: 'Other' }, key));
  assert.equal(conflict.status, 400);
  assert.equal(conflict.data.code, 'invalid_request');
});

test('getPayment, capturePayment, cancelPayment and getPaymentList', async () => {
  const client = checkout();
  const held = await client.createPayment({ ...PAYMENT, capture: false }, randomUUID());
  sim.control.pay(held.id);
  const waiting = await client.getPayment(held.id);
  assert.equal(waiting.status, 'waiting_for_capture');
  assert.equal(waiting.paid, true);
  const captured = await client.capturePayment(held.id, { amount: { value: '249.90', currency: 'RUB' } }, randomUUID());
  assert.equal(captured.status, 'succeeded');
  assert.ok(captured.captured_at);

  const dropped = await client.createPayment(PAYMENT, randomUUID());
  const canceled = await client.cancelPayment(dropped.id, randomUUID());
  assert.equal(canceled.status, 'canceled');
  assert.deepEqual(canceled.cancellation_details, { party: 'merchant', reason: 'canceled_by_merchant' });

  const list = (await client.getPaymentList({ limit: 2 })) as { type: string; items: Array<{ id: string }> };
  assert.equal(list.type, 'list');
  assert.deepEqual(list.items.map((p) => p.id), [dropped.id, held.id], 'newest first, limited');
  const succeeded = (await client.getPaymentList({ status: 'succeeded' })) as { items: Array<{ id: string; status: string }> };
  assert.ok(succeeded.items.length > 0 && succeeded.items.every((p) => p.status === 'succeeded'));
});

test('errors reach the library in YooKassa\'s shape: 400 with the parameter, 404, 401, and a documented 429', async () => {
  const client = checkout();
  const bad = await failure(client.createPayment({ ...PAYMENT, amount: { value: '-1', currency: 'RUB' } }, randomUUID()));
  assert.equal(bad.status, 400);
  assert.equal(bad.data.type, 'error');
  assert.equal(bad.data.code, 'invalid_request');
  assert.equal(bad.data.parameter, 'amount.value');

  const missing = await failure(client.getPayment('2d000000-000f-5000-8000-00000000dead'));
  assert.equal(missing.status, 404);
  assert.equal(missing.data.code, 'not_found');

  const stranger = await failure(checkout({ shopId: SHOP.shopId, secretKey: 'test_wrong' }).getPayment('x'));
  assert.equal(stranger.status, 401);
  assert.equal(stranger.data.code, 'invalid_credentials');

  sim.control.forceFailure({ status: 429, count: 1, methods: ['create'] });
  const limited = await failure(client.createPayment(PAYMENT, randomUUID()));
  assert.equal(limited.status, 429);
  assert.equal(limited.data.code, 'too_many_requests');
  assert.equal(limited.data.retry_after, 1800);
  assert.equal(limited.headers['content-type'], 'application/json;charset=UTF-8');
});
