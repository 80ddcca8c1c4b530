/**
 * §7.6 metrics: the counters move when their events happen, read back from
 * the registry's Prometheus text (what GET /metrics serves).
 * - telegram_api_calls_total / telegram_api_429_total through the grammY
 *   transformer telegramApiMetrics, with the real notifier retrying 429s from
 *   the Telegram simulator;
 * - payment_webhooks_total through the real webhook routes (real PostgreSQL,
 *   the Crypto Pay simulator delivering paid, duplicate and forged webhooks);
 * - scheduler_job_runs_total and admin_alerts_total.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { Api, GrammyError } from 'grammy';
import pg from 'pg';
import pino from 'pino';
import type { Notifier, SendOutcome } from '../../../target/contracts.ts';
import { createAlertService } from '../../../target/alerts/alert-service.ts';
import { createMetrics } from '../../../target/metrics/registry.ts';
import type { Metrics } from '../../../target/metrics/registry.ts';
import { telegramApiMetrics } from '../../../target/metrics/telegram-api.ts';
import { createTelegramNotifier } from '../../../target/notifications/notifier.ts';
import { createCryptoPayClient } from '../../../target/payments/cryptopay-client.ts';
import { createPaymentService } from '../../../target/payments/payment-service.ts';
import { registerPaymentWebhooks } from '../../../target/payments/webhooks.ts';
import { auditBalance } from '../../../target/repos/payment-credits.ts';
import { getPayment } from '../../../target/repos/payments.ts';
import { createDb } from '../../../target/db/handle.ts';
import { createScheduler } from '../../../target/scheduler/scheduler.ts';
import { buildCryptoPaySim } from '../../../target/sims/cryptopay/sim.ts';
import { startTelegram, TOKEN } from '../../sims/telegram-helpers.ts';
import { newUser } from '../support/fixtures.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

const CP_TOKEN = '12345:AAsimulatedCryptoPayToken0123456789';
const REDELIVERY = { initialDelayMs: 200, factor: 1.5, maxDelayMs: 1000, maxAttempts: 40, horizonMs: 30_000 };

let pgServer: ThrowawayPostgres;
before(async () => {
  pgServer = await createThrowawayPostgres('metrics');
});
after(async () => {
  await closeTestDbs();
  await pgServer.dispose();
});

/** A sample's value in the registry's exposition text; 0 when the series does not exist. */
async function sample(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const text = await metrics.registry.metrics();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_0-9]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (have.length === wanted.length && wanted.every((pair) => have.includes(pair))) return Number(match[3]);
  }
  return 0;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('§7.6 telegram_api_429_total and telegram_api_calls_total count every Bot API call by method and outcome', async () => {
  const { db } = openTestDb(await pgServer.createMigratedDatabase());
  const tg = await startTelegram({ flood: { enabled: false } });
  const metrics = createMetrics();
  try {
    const api = new Api(TOKEN, { apiRoot: tg.url });
    api.config.use(telegramApiMetrics(metrics));
    const notifier = createTelegramNotifier({ api, db, logger: pino({ level: 'silent' }) }, { sleep: () => Promise.resolve() });
    assert.equal(await sample(metrics, 'telegram_api_429_total', { method: 'sendMessage' }), 0);

    // Two 429s, then the notifier's third attempt goes through.
    tg.control.forceError({ error_code: 429, retry_after: 1, count: 2, methods: ['sendMessage'] });
    assert.equal(await notifier.send(tg.control.userId(1), 'Time for your habit'), 'sent');
    assert.equal(await sample(metrics, 'telegram_api_429_total', { method: 'sendMessage' }), 2);
    assert.equal(await sample(metrics, 'telegram_api_calls_total', { method: 'sendMessage', outcome: '429' }), 2);
    assert.equal(await sample(metrics, 'telegram_api_calls_total', { method: 'sendMessage', outcome: 'ok' }), 1);

    // Other errors and other methods are counted too; a 403 is not a 429.
    tg.control.blockUser(2);
    assert.equal(await notifier.send(tg.control.userId(2), 'Time for your habit'), 'blocked');
    assert.equal(await sample(metrics, 'telegram_api_calls_total', { method: 'sendMessage', outcome: '403' }), 1);
    await api.getMe();
    assert.equal(await sample(metrics, 'telegram_api_calls_total', { method: 'getMe', outcome: 'ok' }), 1);
    assert.equal(await sample(metrics, 'telegram_api_429_total', { method: 'sendMessage' }), 2, 'unchanged by the 403');

    // No answer at all: network_error, and the caller still sees the error.
    const url = tg.url;
    await tg.close();
    const offline = new Api(TOKEN, { apiRoot: url });
    offline.config.use(telegramApiMetrics(metrics));
    await assert.rejects(offline.getMe(), (error: unknown) => !(error instanceof GrammyError));
    assert.equal(await sample(metrics, 'telegram_api_calls_total', { method: 'getMe', outcome: 'network_error' }), 1);
  } finally {
    await tg.close().catch(() => undefined);
  }
});

test('§7.6 payment_webhooks_total counts credited, duplicate and rejected webhooks by provider', async () => {
  const { db } = openTestDb(await pgServer.createMigratedDatabase(), { connectTimeoutMs: 1000 });
  const metrics = createMetrics();
  const cp = buildCryptoPaySim({ token: CP_TOKEN, redelivery: REDELIVERY });
  const app = Fastify({ logger: false });
  try {
    const cpUrl = await cp.app.listen({ host: '127.0.0.1', port: 0 });
    registerPaymentWebhooks(app, { db, cryptoPayToken: CP_TOKEN, metrics, alerts: { raise: () => Promise.resolve('sent') } });
    const appUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    cp.control.setWebhookUrl(`${appUrl}/webhooks/cryptopay`);
    const service = createPaymentService({ db, cryptopay: createCryptoPayClient({ apiUrl: `${cpUrl}/api`, token: CP_TOKEN }) });
    const user = await newUser(db);
    const result = await service.createTopup(user.id, 50_000, 'cryptopay');
    assert.ok(result.ok, JSON.stringify(result));
    const invoiceId = Number((await getPayment(db, result.paymentId))?.providerPaymentId);
    const count = (outcome: string): Promise<number> => sample(metrics, 'payment_webhooks_total', { provider: 'cryptopay', outcome });
    assert.equal(await count('credited'), 0);

    cp.control.pay(invoiceId);
    await waitFor('credited counted', async () => (await count('credited')) === 1);
    assert.equal((await auditBalance(db, user.id)).balance, 50_000);

    cp.control.duplicate({ invoice_id: invoiceId });
    await waitFor('duplicate counted', async () => (await count('duplicate')) === 1);

    cp.control.forge({ invoice_id: invoiceId, mode: 'bad_signature' });
    await waitFor('rejected counted', async () => (await count('rejected')) === 1);
    assert.equal(await count('credited'), 1, 'still one credit');
  } finally {
    await app.close();
    await cp.app.close();
  }
});

test('§7.6 scheduler_job_runs_total counts runs by outcome; admin_alerts_total by event, severity and outcome', async () => {
  const { db } = openTestDb(await pgServer.createMigratedDatabase());
  const metrics = createMetrics();
  let fail = false;
  const scheduler = createScheduler({
    db,
    metrics,
    jobs: [{ name: 'metrics_job', intervalMs: 60_000, run: () => (fail ? Promise.reject(new Error('boom')) : Promise.resolve({ status: 'ok' as const })) }],
  });
  assert.equal(await scheduler.runNow('metrics_job'), 'ok');
  assert.equal(await scheduler.runNow('metrics_job'), 'ok');
  fail = true;
  assert.equal(await scheduler.runNow('metrics_job'), 'failed');
  assert.equal(await sample(metrics, 'scheduler_job_runs_total', { job: 'metrics_job', outcome: 'ok' }), 2);
  assert.equal(await sample(metrics, 'scheduler_job_runs_total', { job: 'metrics_job', outcome: 'failed' }), 1);

  const notifier: Notifier = { send: (): Promise<SendOutcome> => Promise.resolve('sent') };
  const alerts = createAlertService({ db, notifier, adminChatIds: [1], metrics });
  const alert = { event: 'bot_unreachable', severity: 'critical', source: 'health_monitor', text: 'Bot cannot reach Telegram' } as const;
  assert.equal(await alerts.raise(alert), 'sent');
  assert.equal(await alerts.raise(alert), 'suppressed');
  assert.equal(await sample(metrics, 'admin_alerts_total', { event: 'bot_unreachable', severity: 'critical', outcome: 'sent' }), 1);
  assert.equal(await sample(metrics, 'admin_alerts_total', { event: 'bot_unreachable', severity: 'critical', outcome: 'suppressed' }), 1);
});

test('C1: a run whose job store is unreachable counts as one failed run (the metric C1 reads)', async () => {
  // Port 1 on loopback: nothing listens, so every connection is refused at once.
  const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', connectionTimeoutMillis: 1000 });
  const metrics = createMetrics();
  const scheduler = createScheduler({
    db: createDb(pool, undefined, { retryDelaysMs: [] }),
    metrics,
    jobs: [{ name: 'store_down_job', intervalMs: 60_000, run: () => Promise.resolve({ status: 'ok' as const }) }],
  });
  try {
    assert.equal(await scheduler.runNow('store_down_job'), 'failed');
    assert.equal(await scheduler.runNow('store_down_job'), 'failed');
    assert.equal(await sample(metrics, 'scheduler_job_runs_total', { job: 'store_down_job', outcome: 'failed' }), 2);
  } finally {
    await pool.end();
  }
});
