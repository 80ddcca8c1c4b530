/**
 * Payments against real PostgreSQL and the real YooKassa and Crypto Pay
 * simulators (in process, listening on port 0): create with retries and
 * idempotency (L8, B6), timeout → failed (C5), webhooks: credit, duplicate
 * (C7), forged (C8), DB down → 503 and redelivery (C6), and the sabotage
 * switches webhook-signature, webhook-db-down-200, payment-idempotency-key
 * and payment-failed-status.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { AlertRequest, Alerts } from '../../../target/contracts.ts';
import type { Db } from '../../../target/db/handle.ts';
import { createCryptoPayClient } from '../../../target/payments/cryptopay-client.ts';
import { createPaymentService, TOPUP_ERRORS } from '../../../target/payments/payment-service.ts';
import { registerPaymentWebhooks } from '../../../target/payments/webhooks.ts';
import { createYooKassaClient } from '../../../target/payments/yookassa-client.ts';
import { auditBalance } from '../../../target/repos/payment-credits.ts';
import { getPayment } from '../../../target/repos/payments.ts';
import { buildCryptoPaySim } from '../../../target/sims/cryptopay/sim.ts';
import { buildYooKassaSim } from '../../../target/sims/yookassa/sim.ts';
import { newUser } from '../support/fixtures.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb, withSabotage } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

const SHOP = { shopId: '100500', secretKey: 'test_simulated_secret_key' };
const CP_TOKEN = '12345:AAsimulatedCryptoPayToken0123456789';
const FAST_RETRY = { retryDelaysMs: [50, 100, 200], attemptTimeoutMs: 1000, overallTimeoutMs: 3000 };
const REDELIVERY = { initialDelayMs: 200, factor: 1.5, maxDelayMs: 1000, maxAttempts: 40, horizonMs: 30_000 };

let pg: ThrowawayPostgres;
const closers: Array<() => Promise<unknown>> = [];

before(async () => {
  pg = await createThrowawayPostgres('payments');
});
after(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await closeTestDbs();
  await pg.dispose();
});

/** Alerts that records what was raised (the real service is tested in test/target/alerts). */
function recordingAlerts(): Alerts & { raised: AlertRequest[] } {
  const raised: AlertRequest[] = [];
  return { raised, raise: async (alert) => (raised.push(alert), 'sent') };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

interface Stack {
  db: Db;
  yk: ReturnType<typeof buildYooKassaSim>;
  cp: ReturnType<typeof buildCryptoPaySim>;
  app: FastifyInstance;
  alerts: ReturnType<typeof recordingAlerts>;
  service: ReturnType<typeof createPaymentService>;
  ykClient: ReturnType<typeof createYooKassaClient>;
}

async function stack(options: { sabotage?: string; overallTimeoutMs?: number } = {}): Promise<Stack> {
  const base = openTestDb(await pg.createMigratedDatabase(), { connectTimeoutMs: 1000 }).db;
  const db = options.sabotage ? withSabotage(base, options.sabotage) : base;
  const yk = buildYooKassaSim({ ...SHOP, redelivery: REDELIVERY });
  const cp = buildCryptoPaySim({ token: CP_TOKEN, redelivery: REDELIVERY });
  const ykUrl = await yk.app.listen({ host: '127.0.0.1', port: 0 });
  const cpUrl = await cp.app.listen({ host: '127.0.0.1', port: 0 });
  const retry = { ...FAST_RETRY, overallTimeoutMs: options.overallTimeoutMs ?? FAST_RETRY.overallTimeoutMs };
  const ykClient = createYooKassaClient({ apiUrl: `${ykUrl}/v3`, ...SHOP, retry });
  const cpClient = createCryptoPayClient({ apiUrl: `${cpUrl}/api`, token: CP_TOKEN, retry });
  const alerts = recordingAlerts();
  const app = Fastify({ logger: false });
  registerPaymentWebhooks(app, { db, alerts, yookassa: ykClient, cryptoPayToken: CP_TOKEN, yookassaAllowedIps: ['127.0.0.1'] });
  const appUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  yk.control.setNotificationUrl(`${appUrl}/webhooks/yookassa`);
  cp.control.setWebhookUrl(`${appUrl}/webhooks/cryptopay`);
  closers.push(() => app.close(), () => yk.app.close(), () => cp.app.close());
  const service = createPaymentService({ db, yookassa: ykClient, cryptopay: cpClient });
  return { db, yk, cp, app, alerts, service, ykClient };
}

test('YooKassa create after forced 5xx: retried with the same Idempotence-Key, one payment at the provider', async () => {
  const s = await stack();
  const user = await newUser(s.db);
  s.yk.control.forceFailure({ status: 500, count: 2, processed: true, methods: ['create'] });
  const result = await s.service.createTopup(user.id, 29_900, 'yookassa', 'key-5xx');
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(s.yk.control.payments().length, 1, 'one payment at YooKassa');
  assert.ok(s.yk.control.counters().idempotent_replays >= 1, 'the retry replayed the processed create');
  // 20 concurrent creates with one key (L8): still one payment.
  const again = await Promise.all(Array.from({ length: 20 }, () => s.service.createTopup(user.id, 29_900, 'yookassa', 'key-5xx')));
  for (const r of again) assert.deepEqual(r, result);
  assert.equal(s.yk.control.payments().length, 1);
});

test('sabotage payment-idempotency-key: a retry after a processed 5xx creates a second payment at YooKassa', async () => {
  const s = await stack({ sabotage: 'payment-idempotency-key' });
  const user = await newUser(s.db);
  s.yk.control.forceFailure({ status: 500, count: 1, processed: true, methods: ['create'] });
  const result = await s.service.createTopup(user.id, 29_900, 'yookassa', 'key-fresh');
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(s.yk.control.payments().length, 2, 'the lost answer and the retry are two payments at YooKassa');
  assert.equal(s.yk.control.counters().idempotent_replays, 0, 'nothing was recognised as a retry');
  const { rows } = await s.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM payments');
  assert.equal(rows[0]?.n, '1', 'our side still holds one payment: the duplicate exists only at the provider');
});

test('slow YooKassa (latency beyond the overall timeout): payment failed, error returned, retry works', async () => {
  const s = await stack({ overallTimeoutMs: 600 });
  const user = await newUser(s.db);
  s.yk.control.setLatency({ fixed_ms: 2000, jitter_ms: 0 });
  const started = Date.now();
  const result = await s.service.createTopup(user.id, 10_000, 'yookassa');
  assert.ok(Date.now() - started < 1500, 'bounded by the overall timeout');
  assert.deepEqual(result, { ok: false, error: TOPUP_ERRORS.timeout });
  const { rows } = await s.db.pool.query<{ status: string; last_error: string }>('SELECT status, last_error FROM payments');
  assert.equal(rows[0]?.status, 'failed');
  assert.match(rows[0]?.last_error ?? '', /did not answer/);
  s.yk.control.setLatency({ fixed_ms: 0, jitter_ms: 0 });
  assert.equal((await s.service.createTopup(user.id, 10_000, 'yookassa')).ok, true, 'the user can retry');
});

test('sabotage payment-failed-status: a create that gave up leaves the payment pending', async () => {
  const s = await stack({ overallTimeoutMs: 600, sabotage: 'payment-failed-status' });
  const user = await newUser(s.db);
  s.yk.control.setLatency({ fixed_ms: 2000, jitter_ms: 0 });
  const result = await s.service.createTopup(user.id, 10_000, 'yookassa');
  assert.deepEqual(result, { ok: false, error: TOPUP_ERRORS.timeout }, 'the user still hears about it');
  const { rows } = await s.db.pool.query<{ status: string; provider_payment_id: string | null }>('SELECT status, provider_payment_id FROM payments');
  assert.deepEqual(rows, [{ status: 'pending', provider_payment_id: null }]);
  s.yk.control.setLatency({ fixed_ms: 0, jitter_ms: 0 });
});

test('Crypto Pay: invoice created, signed webhook credits once, duplicate 200 without credit', async () => {
  const s = await stack();
  const user = await newUser(s.db);
  const result = await s.service.createTopup(user.id, 50_000, 'cryptopay');
  assert.ok(result.ok, JSON.stringify(result));
  const payment = await getPayment(s.db, result.paymentId);
  const invoiceId = Number(payment?.providerPaymentId);
  assert.ok(s.cp.control.invoice(invoiceId), 'the invoice exists at Crypto Pay');
  s.cp.control.pay(invoiceId);
  await waitFor('credit', async () => (await auditBalance(s.db, user.id)).balance === 50_000);
  const duplicate = s.cp.control.duplicate({ invoice_id: invoiceId });
  await waitFor('duplicate delivered', () => s.cp.control.deliveries({}).find((d) => d.id === duplicate.id)?.state === 'delivered');
  assert.equal(s.cp.control.deliveries({}).find((d) => d.id === duplicate.id)?.attempts.at(-1)?.status, 200);
  assert.deepEqual(await auditBalance(s.db, user.id), { balance: 50_000, credits: 50_000, debits: 0, creditCount: 1, debitCount: 0 });
});

test('forged webhooks: 400, critical alert, no credit; with webhook-signature they credit', async () => {
  const s = await stack();
  const user = await newUser(s.db);
  const yk = await s.service.createTopup(user.id, 20_000, 'yookassa');
  const cp = await s.service.createTopup(user.id, 30_000, 'cryptopay');
  assert.ok(yk.ok && cp.ok);
  const ykId = (await getPayment(s.db, yk.paymentId))?.providerPaymentId ?? '';
  const cpId = Number((await getPayment(s.db, cp.paymentId))?.providerPaymentId);
  const f1 = s.yk.control.forge({ payment_id: ykId });
  const f2 = s.cp.control.forge({ invoice_id: cpId, mode: 'bad_signature' });
  const f3 = s.cp.control.forge({ invoice_id: cpId, mode: 'missing_signature' });
  const statusOf = (id: string, deliveries: Array<{ id: string; attempts: Array<{ status: number | null }> }>): number | null | undefined => deliveries.find((d) => d.id === id)?.attempts[0]?.status;
  const answered = (status: number | null | undefined): boolean => typeof status === 'number';
  await waitFor('forged deliveries answered', () => answered(statusOf(f1.id, s.yk.control.deliveries({}))) && answered(statusOf(f2.id, s.cp.control.deliveries({}))) && answered(statusOf(f3.id, s.cp.control.deliveries({}))));
  assert.equal(statusOf(f1.id, s.yk.control.deliveries({})), 400);
  assert.equal(statusOf(f2.id, s.cp.control.deliveries({})), 400);
  assert.equal(statusOf(f3.id, s.cp.control.deliveries({})), 400);
  assert.equal((await auditBalance(s.db, user.id)).balance, 0, 'nothing credited');
  assert.equal(s.alerts.raised.length, 3);
  for (const alert of s.alerts.raised) {
    assert.equal(alert.severity, 'critical');
    assert.equal(alert.source, 'payment_webhook');
    assert.equal(alert.text, 'YooKassa/CryptoBot verification failed');
  }
  assert.deepEqual(s.alerts.raised.map((a) => a.details?.provider).sort(), ['cryptopay', 'cryptopay', 'yookassa']);

  const bad = await stack({ sabotage: 'webhook-signature' });
  const victim = await newUser(bad.db);
  const yk2 = await bad.service.createTopup(victim.id, 20_000, 'yookassa');
  const cp2 = await bad.service.createTopup(victim.id, 30_000, 'cryptopay');
  assert.ok(yk2.ok && cp2.ok);
  bad.yk.control.forge({ payment_id: (await getPayment(bad.db, yk2.paymentId))?.providerPaymentId ?? '' });
  bad.cp.control.forge({ invoice_id: Number((await getPayment(bad.db, cp2.paymentId))?.providerPaymentId), mode: 'bad_signature' });
  await waitFor('forged credits under sabotage', async () => (await auditBalance(bad.db, victim.id)).balance === 50_000);
  assert.equal(bad.alerts.raised.length, 0);
});

test('webhook-missing-signature: an unsigned Crypto Pay forgery credits, a badly signed one is still refused', async () => {
  const bad = await stack({ sabotage: 'webhook-missing-signature' });
  const victim = await newUser(bad.db);
  const unsigned = await bad.service.createTopup(victim.id, 30_000, 'cryptopay');
  const signed = await bad.service.createTopup(victim.id, 40_000, 'cryptopay');
  assert.ok(unsigned.ok && signed.ok);
  const invoiceOf = async (paymentId: number): Promise<number> => Number((await getPayment(bad.db, paymentId))?.providerPaymentId);
  const f1 = bad.cp.control.forge({ invoice_id: await invoiceOf(unsigned.paymentId), mode: 'missing_signature' });
  const f2 = bad.cp.control.forge({ invoice_id: await invoiceOf(signed.paymentId), mode: 'bad_signature' });
  const statusOf = (id: string): number | null | undefined => bad.cp.control.deliveries({}).find((d) => d.id === id)?.attempts[0]?.status;
  await waitFor('both forgeries answered', () => typeof statusOf(f1.id) === 'number' && typeof statusOf(f2.id) === 'number');
  assert.equal(statusOf(f1.id), 200, 'the unsigned forgery is taken for a payment');
  assert.equal(statusOf(f2.id), 400, 'a signature that is sent is still checked');
  assert.equal((await auditBalance(bad.db, victim.id)).balance, 30_000, 'only the unsigned forgery credited');
});

test('webhook while the DB is down: 503, redelivered and credited after recovery; lost with webhook-db-down-200', async () => {
  for (const sabotage of [undefined, 'webhook-db-down-200']) {
    const s = await stack({ sabotage });
    const user = await newUser(s.db);
    const result = await s.service.createTopup(user.id, 15_000, 'yookassa');
    assert.ok(result.ok);
    const providerId = (await getPayment(s.db, result.paymentId))?.providerPaymentId ?? '';
    // "DB down" for this database only: refuse new connections and drop the existing ones.
    const dbName = new URL((s.db.pool as unknown as { options: { connectionString: string } }).options.connectionString).pathname.slice(1);
    await pg.admin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
    await pg.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName]);
    const { delivery } = s.yk.control.pay(providerId);
    assert.ok(delivery);
    await waitFor('first attempt answered', () => (s.yk.control.deliveries({}).find((d) => d.id === delivery.id)?.attempts.length ?? 0) >= 1);
    const first = s.yk.control.deliveries({}).find((d) => d.id === delivery.id)?.attempts[0]?.status;
    await pg.admin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
    if (sabotage === undefined) {
      assert.equal(first, 503);
      await waitFor('redelivered and credited', async () => (await auditBalance(s.db, user.id)).balance === 15_000);
      assert.equal((await auditBalance(s.db, user.id)).creditCount, 1);
    } else {
      assert.equal(first, 200, 'sabotaged: 200 while the DB is down');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal(s.yk.control.deliveries({}).find((d) => d.id === delivery.id)?.state, 'delivered', 'the provider stopped redelivering');
      assert.equal((await auditBalance(s.db, user.id)).balance, 0, 'the payment was never credited');
    }
  }
});
