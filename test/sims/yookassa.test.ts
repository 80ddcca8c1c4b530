/**
 * YooKassa simulator: Basic auth, Idempotence-Key, body validation, the
 * payment object and its statuses, notifications redelivered until 200,
 * duplicates, forged notifications, and API faults (latency, 5xx, hang).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeliveryRecord } from '../../target/sims/shared/notification-deliverer.ts';
import type { YooKassaErrorBody } from '../../target/sims/yookassa/errors.ts';
import type { YooKassaNotification } from '../../target/sims/yookassa/notifications.ts';
import type { YkPayment } from '../../target/sims/yookassa/payments.ts';
import type { YooKassaSim, YooKassaSimOptions } from '../../target/sims/yookassa/sim.ts';
import { buildYooKassaSim } from '../../target/sims/yookassa/sim.ts';
import type { JsonAnswer } from './helpers.ts';
import { listen, requestJson, sleep, startReceiver, waitFor } from './helpers.ts';

const SHOP = '100500';
const SECRET = 'test_simulated_secret_key';
const AUTH = `Basic ${Buffer.from(`${SHOP}:${SECRET}`).toString('base64')}`;

interface RunningYooKassa extends YooKassaSim {
  url: string;
  api<T = YkPayment>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonAnswer<T>>;
  create(body: unknown, key?: string): Promise<JsonAnswer<YkPayment>>;
  close(): Promise<void>;
}

const FAST_REDELIVERY = { initialDelayMs: 30, factor: 2, maxDelayMs: 200, maxAttempts: 10, horizonMs: 10_000 };

async function startYooKassa(options: YooKassaSimOptions = {}): Promise<RunningYooKassa> {
  const sim = buildYooKassaSim({ redelivery: FAST_REDELIVERY, ...options });
  const url = await listen(sim.app);
  const api = <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonAnswer<T>> =>
    requestJson<T>(`${url}${path}`, { method, body, headers: { authorization: AUTH, ...headers } });
  return {
    ...sim,
    url,
    api,
    create: (body, key = crypto.randomUUID()) => api<YkPayment>('POST', '/v3/payments', body, { 'idempotence-key': key }),
    close: () => sim.app.close(),
  };
}

function paymentBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    amount: { value: '299.00', currency: 'RUB' },
    capture: true,
    confirmation: { type: 'redirect', return_url: 'https://t.me/chaosctl_sim_bot' },
    description: 'Premium, 1 month',
    metadata: { user_id: '100000001', plan: 'premium' },
    ...overrides,
  };
}

function errorOf(answer: JsonAnswer<unknown>): YooKassaErrorBody {
  return answer.body as YooKassaErrorBody;
}

test('Basic auth: a missing or wrong shopId:secretKey is 401 invalid_credentials in YooKassa error shape', async () => {
  const yk = await startYooKassa();
  try {
    const none = await requestJson(`${yk.url}/v3/payments/abc`);
    assert.equal(none.status, 401);
    const error = errorOf(none);
    assert.equal(error.type, 'error');
    assert.equal(error.code, 'invalid_credentials');
    assert.match(error.id, /^[0-9a-f-]{36}$/);
    assert.equal(typeof error.description, 'string');
    const wrong = await yk.api('GET', '/v3/payments/abc', undefined, { authorization: `Basic ${Buffer.from(`${SHOP}:nope`).toString('base64')}` });
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong).code, 'invalid_credentials');
  } finally {
    await yk.close();
  }
});

test('POST /v3/payments creates a pending payment with the real fields', async () => {
  const yk = await startYooKassa();
  try {
    const created = await yk.create(paymentBody({ amount: { value: '299', currency: 'RUB' } }));
    assert.equal(created.status, 200);
    const p = created.body;
    assert.match(p.id, /^[0-9a-f]{8}-000f-5000-[89ab]000-[0-9a-f]{12}$/);
    assert.equal(p.status, 'pending');
    assert.equal(p.paid, false);
    assert.deepEqual(p.amount, { value: '299.00', currency: 'RUB' });
    assert.equal(p.description, 'Premium, 1 month');
    assert.deepEqual(p.recipient, { account_id: SHOP, gateway_id: '100700' });
    assert.ok(!Number.isNaN(Date.parse(p.created_at)));
    assert.equal(p.confirmation?.type, 'redirect');
    assert.ok(p.confirmation?.type === 'redirect' && p.confirmation.confirmation_url.includes(p.id));
    assert.equal(p.test, true);
    assert.equal(p.refundable, false);
    assert.deepEqual(p.metadata, { user_id: '100000001', plan: 'premium' });
    assert.equal(p.income_amount, undefined);
    const read = await yk.api('GET', `/v3/payments/${p.id}`);
    assert.deepEqual(read.body, p);
    const missing = await yk.api('GET', '/v3/payments/2d1ab5b8-000f-5000-8000-1e2b0b0a4b6e');
    assert.equal(missing.status, 404);
    assert.equal(errorOf(missing).code, 'not_found');
    assert.equal(errorOf(missing).parameter, 'payment_id');
    const list = await yk.api<{ type: string; items: YkPayment[] }>('GET', '/v3/payments?status=pending');
    assert.equal(list.body.type, 'list');
    assert.deepEqual(list.body.items.map((i) => i.id), [p.id]);
  } finally {
    await yk.close();
  }
});

test('Idempotence-Key: required; same key and body → the same payment; same key, other body → 400', async () => {
  const yk = await startYooKassa();
  try {
    const missing = await yk.api('POST', '/v3/payments', paymentBody());
    assert.equal(missing.status, 400);
    assert.equal(errorOf(missing).code, 'invalid_request');
    assert.equal(errorOf(missing).parameter, 'Idempotence-Key');

    const key = 'order-42-attempt-1';
    const first = await yk.create(paymentBody(), key);
    const reordered = Object.fromEntries(Object.entries(paymentBody()).reverse());
    const again = await yk.create(reordered, key);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    assert.deepEqual(again.body, first.body);
    assert.equal(yk.control.payments().length, 1, 'no second payment');
    assert.equal(yk.control.counters().idempotent_replays, 1);

    const conflict = await yk.create(paymentBody({ amount: { value: '300.00', currency: 'RUB' } }), key);
    assert.equal(conflict.status, 400);
    assert.deepEqual({ ...errorOf(conflict), id: '' }, {
      type: 'error',
      id: '',
      code: 'invalid_request',
      description: 'Idempotence key duplicated',
      parameter: 'Idempotence-Key',
    });
    const other = await yk.create(paymentBody(), 'order-42-attempt-2');
    assert.notEqual(other.body.id, first.body.id);
    const tooLong = await yk.create(paymentBody(), 'k'.repeat(65));
    assert.equal(tooLong.status, 400);
    assert.equal(errorOf(tooLong).parameter, 'Idempotence-Key');
  } finally {
    await yk.close();
  }
});

test('body validation names the bad parameter; a refused body does not use up its key', async () => {
  const yk = await startYooKassa();
  try {
    const cases: [Record<string, unknown>, string][] = [
      [paymentBody({ amount: { value: 299, currency: 'RUB' } }), 'amount.value'],
      [paymentBody({ amount: { value: '10.005', currency: 'RUB' } }), 'amount.value'],
      [paymentBody({ amount: { value: '0.00', currency: 'RUB' } }), 'amount.value'],
      [paymentBody({ amount: { value: '10.00', currency: 'rub' } }), 'amount.currency'],
      [paymentBody({ amount: undefined }), 'amount'],
      [paymentBody({ description: 'd'.repeat(129) }), 'description'],
      [paymentBody({ confirmation: undefined }), 'confirmation'],
      [paymentBody({ confirmation: { type: 'redirect' } }), 'confirmation.return_url'],
      [paymentBody({ capture: 'yes' }), 'capture'],
      [paymentBody({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }), 'metadata'],
    ];
    for (const [body, parameter] of cases) {
      const answer = await yk.create(body, 'reused-key');
      assert.equal(answer.status, 400, `${parameter}: ${JSON.stringify(answer.body)}`);
      assert.equal(errorOf(answer).code, 'invalid_request');
      assert.equal(errorOf(answer).parameter, parameter);
    }
    const fixed = await yk.create(paymentBody(), 'reused-key');
    assert.equal(fixed.status, 200);
    const bad = await fetch(`${yk.url}/v3/payments`, { method: 'POST', headers: { authorization: AUTH, 'idempotence-key': 'x', 'content-type': 'application/json' }, body: '{' });
    assert.equal(bad.status, 400);
  } finally {
    await yk.close();
  }
});

test('pay: the notification is redelivered until the shop answers 200 — fail twice, accept → exactly 3 attempts', async () => {
  const receiver = await startReceiver([500, 503, 200]);
  const yk = await startYooKassa({ notificationUrl: receiver.url });
  try {
    const payment = (await yk.create(paymentBody())).body;
    const paid = await requestJson<{ payment: YkPayment; delivery: DeliveryRecord }>(`${yk.url}/_sim/payments/${payment.id}/pay`, { body: {} });
    assert.equal(paid.status, 200);
    assert.equal(paid.body.payment.status, 'succeeded');
    assert.ok(await waitFor(() => yk.control.deliveries()[0]?.state === 'delivered'));
    const [delivery] = yk.control.deliveries();
    assert.ok(delivery);
    assert.deepEqual(delivery.attempts.map((a) => a.status), [500, 503, 200]);
    assert.equal(delivery.kind, 'genuine');
    assert.equal(delivery.event, 'payment.succeeded');
    for (const attempt of delivery.attempts) {
      assert.equal(typeof attempt.at, 'number');
      assert.ok(attempt.latency_ms >= 0);
    }
    const [a0, a1, a2] = delivery.attempts;
    assert.ok(a0 && a1 && a2 && a1.at - a0.at >= 25 && a2.at - a1.at >= 55, 'backoff doubles between attempts');
    await sleep(150);
    assert.equal(receiver.received.length, 3, 'nothing more after the 200');
    const notification = JSON.parse(receiver.received[2]?.body ?? '{}') as YooKassaNotification;
    assert.equal(notification.type, 'notification');
    assert.equal(notification.event, 'payment.succeeded');
    assert.equal(notification.object.id, payment.id);
    assert.equal(notification.object.status, 'succeeded');
    assert.equal(notification.object.paid, true);
    assert.deepEqual(notification.object.income_amount, { value: '288.53', currency: 'RUB' });
    assert.equal(receiver.received[0]?.body, receiver.received[2]?.body, 'every attempt sends the same bytes');
    const read = (await yk.api('GET', `/v3/payments/${payment.id}`)).body;
    assert.equal(read.status, 'succeeded');
    assert.equal(typeof read.captured_at, 'string');
    assert.equal(read.confirmation, undefined);
    const log = await requestJson<{ deliveries: DeliveryRecord[] }>(`${yk.url}/_sim/deliveries?payment_id=${payment.id}`);
    assert.equal(log.body.deliveries[0]?.attempts.length, 3);
  } finally {
    await yk.close();
    await receiver.close();
  }
});

test('capture: false → waiting_for_capture, then capture and cancel through the API; each change notifies', async () => {
  const receiver = await startReceiver([200]);
  const yk = await startYooKassa({ notificationUrl: receiver.url });
  try {
    const one = (await yk.create(paymentBody({ capture: false }))).body;
    assert.equal(yk.control.pay(one.id).payment.status, 'waiting_for_capture');
    const captured = await yk.api('POST', `/v3/payments/${one.id}/capture`, { amount: { value: '299.00', currency: 'RUB' } }, { 'idempotence-key': 'cap-1' });
    assert.equal(captured.status, 200);
    assert.equal(captured.body.status, 'succeeded');
    const twice = await yk.api('POST', `/v3/payments/${one.id}/capture`, {}, { 'idempotence-key': 'cap-2' });
    assert.equal(twice.status, 400);

    const two = (await yk.create(paymentBody())).body;
    const canceled = await yk.api('POST', `/v3/payments/${two.id}/cancel`, {}, { 'idempotence-key': 'cancel-1' });
    assert.equal(canceled.body.status, 'canceled');
    assert.deepEqual(canceled.body.cancellation_details, { party: 'merchant', reason: 'canceled_by_merchant' });

    const three = (await yk.create(paymentBody())).body;
    const expired = await requestJson<{ payment: YkPayment }>(`${yk.url}/_sim/payments/${three.id}/cancel`, { body: { party: 'yoo_money', reason: 'expired_on_confirmation' } });
    assert.deepEqual(expired.body.payment.cancellation_details, { party: 'yoo_money', reason: 'expired_on_confirmation' });
    const again = await requestJson(`${yk.url}/_sim/payments/${three.id}/pay`, { body: {} });
    assert.equal(again.status, 409, 'a canceled payment cannot be paid');

    assert.ok(await waitFor(() => receiver.received.length === 4));
    const events = receiver.received.map((r) => (JSON.parse(r.body) as YooKassaNotification).event);
    assert.deepEqual(events, ['payment.waiting_for_capture', 'payment.succeeded', 'payment.canceled', 'payment.canceled']);
  } finally {
    await yk.close();
    await receiver.close();
  }
});

test('duplicate and forged notifications; a careful receiver re-reads the payment and sees the truth', async () => {
  const receiver = await startReceiver([200]);
  const yk = await startYooKassa();
  try {
    const refused = await requestJson(`${yk.url}/_sim/notifications`, { method: 'PUT', body: { url: 'http://example.com/hook' } });
    assert.equal(refused.status, 400, 'non-loopback notification URLs are refused');
    assert.match((refused.body as { message: string }).message, /loopback/);
    await requestJson(`${yk.url}/_sim/notifications`, { method: 'PUT', body: { url: receiver.url } });

    const paidOne = (await yk.create(paymentBody())).body;
    yk.control.pay(paidOne.id);
    assert.ok(await waitFor(() => receiver.received.length === 1));
    const duplicate = await requestJson<DeliveryRecord>(`${yk.url}/_sim/notifications/duplicate`, { body: { payment_id: paidOne.id } });
    assert.equal(duplicate.body.kind, 'duplicate');
    assert.ok(await waitFor(() => receiver.received.length === 2));
    assert.equal(receiver.received[1]?.body, receiver.received[0]?.body, 'byte-for-byte the same notification');
    assert.equal(duplicate.body.copy_of, yk.control.deliveries({ kind: 'genuine' })[0]?.id);

    const pending = (await yk.create(paymentBody())).body;
    await requestJson(`${yk.url}/_sim/notifications/forged`, { body: { payment_id: pending.id, event: 'payment.succeeded' } });
    assert.ok(await waitFor(() => receiver.received.length === 3));
    const forged = JSON.parse(receiver.received[2]?.body ?? '{}') as YooKassaNotification;
    assert.equal(forged.event, 'payment.succeeded');
    assert.equal(forged.object.id, pending.id);
    assert.equal(forged.object.status, 'succeeded');
    const truth = await yk.api('GET', `/v3/payments/${forged.object.id}`);
    assert.equal(truth.body.status, 'pending', 'the API still says pending');

    await requestJson(`${yk.url}/_sim/notifications/forged`, { body: {} });
    assert.ok(await waitFor(() => receiver.received.length === 4));
    const unknown = JSON.parse(receiver.received[3]?.body ?? '{}') as YooKassaNotification;
    assert.equal((await yk.api('GET', `/v3/payments/${unknown.object.id}`)).status, 404, 'the claimed payment does not exist');
    assert.equal(yk.control.deliveries({ kind: 'forged' }).length, 2);
  } finally {
    await yk.close();
    await receiver.close();
  }
});

test('redelivery is bounded: forged ones are sent once, genuine ones stop when the policy gives up', async () => {
  const receiver = await startReceiver([500]);
  const yk = await startYooKassa({ notificationUrl: receiver.url, redelivery: { initialDelayMs: 10, factor: 1, maxDelayMs: 10, maxAttempts: 4 } });
  try {
    yk.control.forge({});
    const payment = (await yk.create(paymentBody())).body;
    yk.control.pay(payment.id);
    assert.ok(await waitFor(() => yk.control.deliveries().every((d) => d.state === 'failed')));
    const [forged, genuine] = yk.control.deliveries();
    assert.equal(forged?.attempts.length, 1);
    assert.equal(genuine?.attempts.length, 4);
    const counters = yk.control.counters();
    assert.equal(counters.notifications.gave_up, 2);
    assert.equal(counters.notifications.attempts, 5);
  } finally {
    await yk.close();
    await receiver.close();
  }
});

test('faults: latency, forced 5xx for the next K calls (before or after the work), and a bounded hang', async () => {
  const yk = await startYooKassa();
  try {
    await requestJson(`${yk.url}/_sim/faults/latency`, { method: 'PUT', body: { fixed_ms: 150 } });
    const slowStart = performance.now();
    const slow = await yk.create(paymentBody());
    assert.equal(slow.status, 200);
    assert.ok(performance.now() - slowStart >= 145);
    yk.control.setLatency({ fixed_ms: 0, jitter_ms: 0 });

    await requestJson(`${yk.url}/_sim/faults/errors`, { body: { status: 500, count: 2, methods: ['create'] } });
    for (let i = 0; i < 2; i += 1) {
      const failed = await yk.create(paymentBody(), 'retry-me');
      assert.equal(failed.status, 500);
      assert.equal(errorOf(failed).code, 'internal_server_error');
    }
    const third = await yk.create(paymentBody(), 'retry-me');
    assert.equal(third.status, 200);
    const count = yk.control.payments().length;

    yk.control.forceFailure({ status: 500, count: 1, processed: true });
    const unknownOutcome = await yk.create(paymentBody(), 'processed-key');
    assert.equal(unknownOutcome.status, 500);
    assert.equal(yk.control.payments().length, count + 1, 'the payment was created all the same');
    const retried = await yk.create(paymentBody(), 'processed-key');
    assert.equal(retried.status, 200);
    assert.equal(yk.control.payments().length, count + 1, 'retrying with the same key finds it');

    await requestJson(`${yk.url}/_sim/faults/hang`, { method: 'PUT', body: { on: true, max_ms: 5000 } });
    let answered = false;
    const held = yk.api('GET', `/v3/payments/${retried.body.id}`).then((a) => {
      answered = true;
      return a;
    });
    await sleep(200);
    assert.equal(answered, false, 'held while the hang is on');
    await requestJson(`${yk.url}/_sim/faults/hang`, { method: 'DELETE' });
    assert.equal((await held).status, 200);

    yk.control.hang(250);
    const boundedStart = Date.now();
    assert.equal((await yk.api('GET', `/v3/payments/${retried.body.id}`)).status, 200);
    const waited = Date.now() - boundedStart;
    assert.ok(waited >= 200 && waited < 2000, `a hang clears itself after max_ms (${waited} ms)`);
  } finally {
    await yk.close();
  }
});

test('counters and reset', async () => {
  const receiver = await startReceiver([200]);
  const yk = await startYooKassa({ notificationUrl: receiver.url });
  try {
    const p = (await yk.create(paymentBody())).body;
    await yk.api('GET', `/v3/payments/${p.id}`);
    await yk.api('GET', '/v3/payments/none');
    const counters = (await requestJson<ReturnType<YooKassaSim['control']['counters']>>(`${yk.url}/_sim/counters`)).body;
    assert.equal(counters.requests.create, 1);
    assert.equal(counters.requests.get, 2);
    assert.equal(counters.errors['404'], 1);
    await requestJson(`${yk.url}/_sim/reset`, { body: {} });
    assert.equal(yk.control.payments().length, 0);
    assert.deepEqual(yk.control.counters().requests, {});
    assert.equal((await yk.api('GET', `/v3/payments/${p.id}`)).status, 404);
  } finally {
    await yk.close();
    await receiver.close();
  }
});

test('GET /v3/me: the shop\'s settings for the credentials that call it; wrong credentials are 401', async () => {
  const yk = await startYooKassa({ shopId: SHOP, secretKey: SECRET });
  try {
    const me = await yk.api<Record<string, unknown>>('GET', '/v3/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.account_id, SHOP);
    assert.equal(me.body.status, 'enabled');
    assert.equal(me.body.test, true);
    assert.equal(me.body.fiscalization_enabled, false);
    assert.ok(Array.isArray(me.body.payment_methods));
    const none = await requestJson(`${yk.url}/v3/me`);
    assert.equal(none.status, 401);
    assert.equal(errorOf(none).code, 'invalid_credentials');
    assert.equal(yk.control.counters().requests.me, 2);
  } finally {
    await yk.close();
  }
});

test('429 as YooKassa documents it: too_many_requests error object with retry_after in milliseconds, its content type, no Retry-After header', async () => {
  const yk = await startYooKassa();
  try {
    yk.control.forceFailure({ status: 429, count: 1, methods: ['create'] });
    const limited = await yk.create(paymentBody());
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('content-type'), 'application/json;charset=UTF-8');
    assert.equal(limited.headers.get('retry-after'), null);
    const error = errorOf(limited);
    assert.deepEqual(Object.keys(error).sort(), ['code', 'description', 'id', 'retry_after', 'type']);
    assert.equal(error.type, 'error');
    assert.equal(error.code, 'too_many_requests');
    assert.match(error.id, /^[0-9a-f-]{36}$/);
    assert.equal(error.retry_after, 1800);
    assert.equal((await yk.create(paymentBody())).status, 200, 'only the forced call was limited');
  } finally {
    await yk.close();
  }
});
