/**
 * A YooKassa notification is verified by reading the payment back. What that
 * re-read answers decides the reply: a 4xx means YooKassa disowns the id, so the
 * notification is forged (400 and the critical alert); a 5xx, a 429 or no answer
 * means it cannot be asked now (503, no alert, YooKassa redelivers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { AlertRequest } from '../../../target/contracts.ts';
import type { Db } from '../../../target/db/handle.ts';
import { registerPaymentWebhooks } from '../../../target/payments/webhooks.ts';
import { createYooKassaClient } from '../../../target/payments/yookassa-client.ts';
import { NO_SABOTAGE } from '../../../target/sabotage.ts';
import { buildYooKassaSim } from '../../../target/sims/yookassa/sim.ts';

const SHOP = { shopId: '100500', secretKey: 'test_simulated_secret_key' };
const yk = buildYooKassaSim(SHOP);
const raised: AlertRequest[] = [];
let app: FastifyInstance;
let appUrl = '';

before(async () => {
  const ykUrl = await yk.app.listen({ host: '127.0.0.1', port: 0 });
  app = Fastify({ logger: false });
  // Every case here ends before the database is touched; a call to it would fail the test (503).
  const db = { sabotage: NO_SABOTAGE } as unknown as Db;
  const yookassa = createYooKassaClient({ apiUrl: `${ykUrl}/v3`, ...SHOP, getTimeoutMs: 300 });
  registerPaymentWebhooks(app, { db, alerts: { raise: async (alert) => (raised.push(alert), 'sent') }, yookassa, yookassaAllowedIps: ['127.0.0.1'] });
  appUrl = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await app.close();
  await yk.app.close();
});

async function notify(id: string): Promise<number> {
  const body = JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id, status: 'succeeded', paid: true, amount: { value: '500.00', currency: 'RUB' } } });
  const response = await fetch(`${appUrl}/webhooks/yookassa`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await response.arrayBuffer();
  return response.status;
}

test('a re-read YooKassa refuses with a 4xx is a forgery: 400 and the verification alert', async () => {
  for (const status of [400, 403, 404]) {
    raised.length = 0;
    yk.control.clearForcedFailures();
    yk.control.forceFailure({ status, count: 1, methods: ['get'] });
    assert.equal(await notify(`forged-${status}`), 400, `provider ${status}`);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(raised.length, 1, `one alert for provider ${status}`);
    assert.equal(raised[0]?.event, 'webhook_verify_failed');
    assert.equal(raised[0]?.severity, 'critical');
    assert.match(String(raised[0]?.details?.reason), new RegExp(`HTTP ${status}|unknown to YooKassa`));
  }
});

test('a re-read that fails on YooKassa\'s side (5xx, 429, timeout) is 503 without an alert', async () => {
  for (const status of [500, 503, 429]) {
    raised.length = 0;
    yk.control.clearForcedFailures();
    yk.control.forceFailure({ status, count: 1, methods: ['get'] });
    assert.equal(await notify('2d000000-000f-5000-8000-000000000001'), 503, `provider ${status}`);
    assert.equal(raised.length, 0, `no alert for provider ${status}`);
  }
  yk.control.clearForcedFailures();
  yk.control.setLatency({ fixed_ms: 1000, jitter_ms: 0 });
  try {
    assert.equal(await notify('2d000000-000f-5000-8000-000000000002'), 503, 'timeout');
    assert.equal(raised.length, 0);
  } finally {
    yk.control.setLatency({ fixed_ms: 0, jitter_ms: 0 });
  }
});
