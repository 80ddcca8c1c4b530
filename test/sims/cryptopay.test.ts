/**
 * Crypto Pay simulator: the envelope and token, getMe / createInvoice /
 * getInvoices, signed invoice_paid webhooks (checked with an HMAC computed
 * here, independently), redelivery, duplicates, forged signatures and faults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CryptoPayEnvelope } from '../../target/sims/cryptopay/errors.ts';
import type { Invoice } from '../../target/sims/cryptopay/invoices.ts';
import type { CryptoPaySim, CryptoPaySimOptions } from '../../target/sims/cryptopay/sim.ts';
import { buildCryptoPaySim } from '../../target/sims/cryptopay/sim.ts';
import type { InvoicePaidUpdate } from '../../target/sims/cryptopay/webhooks.ts';
import type { DeliveryRecord } from '../../target/sims/shared/notification-deliverer.ts';
import type { JsonAnswer, ReceivedRequest } from './helpers.ts';
import { listen, requestJson, sleep, startReceiver, waitFor } from './helpers.ts';

const TOKEN = '34567:AAtestCryptoPayTokenForSim';

interface RunningCryptoPay extends CryptoPaySim {
  url: string;
  api(method: string, params?: Record<string, unknown>, token?: string | null): Promise<JsonAnswer<CryptoPayEnvelope>>;
  close(): Promise<void>;
}

async function startCryptoPay(options: CryptoPaySimOptions = {}): Promise<RunningCryptoPay> {
  const sim = buildCryptoPaySim({ token: TOKEN, redelivery: { initialDelayMs: 30, factor: 2, maxDelayMs: 200 }, ...options });
  const url = await listen(sim.app);
  return {
    ...sim,
    url,
    api: (method, params = {}, token = TOKEN) =>
      requestJson<CryptoPayEnvelope>(`${url}/api/${method}`, { body: params, headers: token === null ? {} : { 'Crypto-Pay-API-Token': token } }),
    close: () => sim.app.close(),
  };
}

function resultOf<T>(answer: JsonAnswer<CryptoPayEnvelope>): T {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.ok(answer.body.ok, JSON.stringify(answer.body));
  return answer.body.result as T;
}

function assertCpError(answer: JsonAnswer<CryptoPayEnvelope>, code: number, name: string): void {
  assert.equal(answer.status, code, JSON.stringify(answer.body));
  assert.deepEqual(answer.body, { ok: false, error: { code, name } });
}

/** The check a receiving app does, written here from the documented recipe and not from the simulator's code. */
function signatureVerifies(request: ReceivedRequest): boolean {
  const header = request.headers['crypto-pay-api-signature'];
  if (typeof header !== 'string') return false;
  const secret = createHash('sha256').update(TOKEN).digest();
  const expected = createHmac('sha256', secret).update(request.body).digest();
  const given = Buffer.from(header, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

test('the API token is checked on every call; unknown methods are METHOD_NOT_FOUND', async () => {
  const cp = await startCryptoPay();
  try {
    assertCpError(await cp.api('getMe', {}, null), 401, 'UNAUTHORIZED');
    assertCpError(await cp.api('getMe', {}, 'wrong-token'), 401, 'UNAUTHORIZED');
    assertCpError(await cp.api('transferEverything'), 405, 'METHOD_NOT_FOUND');
    const me = resultOf<{ app_id: number; name: string; payment_processing_bot_username: string }>(await cp.api('getMe'));
    assert.equal(me.app_id, 34567);
    assert.equal(me.payment_processing_bot_username, 'CryptoBot');
    const viaGet = await requestJson<CryptoPayEnvelope>(`${cp.url}/api/getMe`, { headers: { 'crypto-pay-api-token': TOKEN } });
    assert.deepEqual(resultOf(viaGet), me);
  } finally {
    await cp.close();
  }
});

test('createInvoice returns an active Invoice with the real fields, from JSON or the query string', async () => {
  const cp = await startCryptoPay();
  try {
    const invoice = resultOf<Invoice>(
      await cp.api('createInvoice', { asset: 'USDT', amount: '4.99', description: 'Premium', payload: 'user:100000001:premium', expires_in: 3600 }),
    );
    assert.equal(typeof invoice.invoice_id, 'number');
    assert.match(invoice.hash, /^IV\w+/);
    assert.equal(invoice.status, 'active');
    assert.equal(invoice.currency_type, 'crypto');
    assert.equal(invoice.asset, 'USDT');
    assert.equal(invoice.amount, '4.99');
    assert.equal(invoice.payload, 'user:100000001:premium');
    assert.equal(invoice.bot_invoice_url, `https://t.me/CryptoBot?start=${invoice.hash}`);
    assert.equal(invoice.pay_url, invoice.bot_invoice_url);
    assert.ok(invoice.mini_app_invoice_url.includes(invoice.hash) && invoice.web_app_invoice_url.includes(invoice.hash));
    assert.equal(invoice.allow_comments, true);
    assert.equal(invoice.allow_anonymous, true);
    const lifetime = Date.parse(invoice.expiration_date ?? '') - Date.parse(invoice.created_at);
    assert.ok(Math.abs(lifetime - 3_600_000) < 2000);

    const query = new URLSearchParams({ currency_type: 'fiat', fiat: 'RUB', amount: '399', accepted_assets: 'USDT,TON', allow_comments: 'false' });
    const fiat = resultOf<Invoice>(await requestJson<CryptoPayEnvelope>(`${cp.url}/api/createInvoice?${query}`, { headers: { 'crypto-pay-api-token': TOKEN } }));
    assert.equal(fiat.currency_type, 'fiat');
    assert.equal(fiat.fiat, 'RUB');
    assert.deepEqual(fiat.accepted_assets, ['USDT', 'TON']);
    assert.equal(fiat.allow_comments, false);
    assert.equal(fiat.invoice_id, invoice.invoice_id + 1);
  } finally {
    await cp.close();
  }
});

test('createInvoice validation', async () => {
  const cp = await startCryptoPay();
  try {
    assertCpError(await cp.api('createInvoice', { asset: 'DOGE', amount: '1' }), 400, 'ASSET_INVALID');
    assertCpError(await cp.api('createInvoice', { amount: '1' }), 400, 'ASSET_INVALID');
    assertCpError(await cp.api('createInvoice', { asset: 'TON', amount: '-1' }), 400, 'AMOUNT_INVALID');
    assertCpError(await cp.api('createInvoice', { asset: 'TON' }), 400, 'AMOUNT_INVALID');
    assertCpError(await cp.api('createInvoice', { currency_type: 'fiat', fiat: 'XXX', amount: '1' }), 400, 'FIAT_INVALID');
    assertCpError(await cp.api('createInvoice', { asset: 'TON', amount: '1', expires_in: 0 }), 400, 'EXPIRES_IN_INVALID');
    assertCpError(await cp.api('createInvoice', { asset: 'TON', amount: '1', payload: 'p'.repeat(4097) }), 400, 'PAYLOAD_TOO_LONG');
    assertCpError(await cp.api('createInvoice', { asset: 'TON', amount: '1', paid_btn_name: 'openBot' }), 400, 'PAID_BTN_URL_INVALID');
    assert.equal(cp.control.invoices().length, 0);
  } finally {
    await cp.close();
  }
});

test('getInvoices filters by invoice_ids, status and asset, pages with offset/count, answers { items }', async () => {
  const cp = await startCryptoPay();
  try {
    const ids: number[] = [];
    for (const asset of ['USDT', 'TON', 'USDT']) ids.push(resultOf<Invoice>(await cp.api('createInvoice', { asset, amount: '1' })).invoice_id);
    cp.control.pay(ids[0]!);
    const byIds = resultOf<{ items: Invoice[] }>(await cp.api('getInvoices', { invoice_ids: `${ids[0]},${ids[2]}` }));
    assert.deepEqual(byIds.items.map((i) => i.invoice_id).sort(), [ids[0], ids[2]].sort());
    const paid = resultOf<{ items: Invoice[] }>(await cp.api('getInvoices', { status: 'paid' }));
    assert.deepEqual(paid.items.map((i) => i.invoice_id), [ids[0]]);
    assert.equal(paid.items[0]?.status, 'paid');
    const ton = resultOf<{ items: Invoice[] }>(await cp.api('getInvoices', { asset: 'TON' }));
    assert.deepEqual(ton.items.map((i) => i.invoice_id), [ids[1]]);
    const page = resultOf<{ items: Invoice[] }>(await cp.api('getInvoices', { offset: 1, count: 1 }));
    assert.equal(page.items.length, 1);
    assertCpError(await cp.api('getInvoices', { count: 5000 }), 400, 'COUNT_INVALID');
    const viaQuery = resultOf<{ items: Invoice[] }>(
      await requestJson<CryptoPayEnvelope>(`${cp.url}/api/getInvoices?invoice_ids=${ids[1]}`, { headers: { 'crypto-pay-api-token': TOKEN } }),
    );
    assert.equal(viaQuery.items[0]?.invoice_id, ids[1]);
  } finally {
    await cp.close();
  }
});

test('paying sends a signed invoice_paid update, redelivered until 200: fail twice, accept → 3 attempts', async () => {
  const receiver = await startReceiver([500, 502, 200]);
  const cp = await startCryptoPay({ webhookUrl: receiver.url });
  try {
    const invoice = resultOf<Invoice>(await cp.api('createInvoice', { asset: 'TON', amount: '2.5', payload: 'order-7' }));
    const paid = await requestJson<{ invoice: Invoice; delivery: DeliveryRecord }>(`${cp.url}/_sim/invoices/${invoice.invoice_id}/pay`, { body: { comment: 'thanks' } });
    assert.equal(paid.status, 200);
    assert.ok(await waitFor(() => cp.control.deliveries()[0]?.state === 'delivered'));
    const [delivery] = cp.control.deliveries();
    assert.deepEqual(delivery?.attempts.map((a) => a.status), [500, 502, 200]);
    await sleep(100);
    assert.equal(receiver.received.length, 3);
    for (const request of receiver.received) {
      assert.ok(signatureVerifies(request), 'the signature verifies with HMAC-SHA-256 keyed by SHA-256(token)');
      assert.equal(request.body, receiver.received[0]?.body);
      assert.equal(request.headers['crypto-pay-api-signature'], receiver.received[0]?.headers['crypto-pay-api-signature']);
    }
    const update = JSON.parse(receiver.received[0]?.body ?? '{}') as InvoicePaidUpdate;
    assert.equal(typeof update.update_id, 'number');
    assert.equal(update.update_type, 'invoice_paid');
    assert.ok(!Number.isNaN(Date.parse(update.request_date)));
    assert.equal(update.payload.invoice_id, invoice.invoice_id);
    assert.equal(update.payload.status, 'paid');
    assert.equal(update.payload.payload, 'order-7');
    assert.equal(update.payload.paid_asset, 'TON');
    assert.equal(update.payload.paid_amount, '2.5');
    assert.equal(update.payload.comment, 'thanks');
    assert.ok(!Number.isNaN(Date.parse(update.payload.paid_at ?? '')));
    const read = resultOf<{ items: Invoice[] }>(await cp.api('getInvoices', { invoice_ids: String(invoice.invoice_id) }));
    assert.equal(read.items[0]?.status, 'paid');
    const again = await requestJson(`${cp.url}/_sim/invoices/${invoice.invoice_id}/pay`, { body: {} });
    assert.equal(again.status, 409);
  } finally {
    await cp.close();
    await receiver.close();
  }
});

test('a duplicate carries the same bytes and signature; forged ones do not verify and are sent once', async () => {
  const receiver = await startReceiver([200, 200, 400, 400, 400]);
  const cp = await startCryptoPay({ webhookUrl: receiver.url });
  try {
    const invoice = resultOf<Invoice>(await cp.api('createInvoice', { asset: 'USDT', amount: '10' }));
    cp.control.pay(invoice.invoice_id);
    assert.ok(await waitFor(() => receiver.received.length === 1));
    await requestJson(`${cp.url}/_sim/webhooks/duplicate`, { body: { invoice_id: invoice.invoice_id } });
    assert.ok(await waitFor(() => receiver.received.length === 2));
    const [original, copy] = receiver.received;
    assert.equal(copy?.body, original?.body);
    assert.equal(copy?.headers['crypto-pay-api-signature'], original?.headers['crypto-pay-api-signature']);
    assert.ok(copy && signatureVerifies(copy));

    const active = resultOf<Invoice>(await cp.api('createInvoice', { asset: 'USDT', amount: '99' }));
    await requestJson(`${cp.url}/_sim/webhooks/forged`, { body: { invoice_id: active.invoice_id } });
    await requestJson(`${cp.url}/_sim/webhooks/forged`, { body: { mode: 'missing_signature' } });
    await requestJson(`${cp.url}/_sim/webhooks/forged`, { body: { invoice_id: active.invoice_id, mode: 'tampered' } });
    assert.ok(await waitFor(() => receiver.received.length === 5));
    const [badSignature, noSignature, tampered] = receiver.received.slice(2);
    assert.ok(badSignature && noSignature && tampered);
    assert.equal(signatureVerifies(badSignature), false);
    assert.equal(noSignature.headers['crypto-pay-api-signature'], undefined);
    assert.equal(signatureVerifies(tampered), false);
    assert.equal((JSON.parse(badSignature.body) as InvoicePaidUpdate).payload.status, 'paid', 'the forged body claims payment');
    assert.equal(cp.control.invoice(active.invoice_id)?.status, 'active', 'but the invoice is still active');
    await sleep(150);
    assert.equal(receiver.received.length, 5, 'refused forged webhooks are not redelivered');
    assert.deepEqual(
      cp.control.deliveries({ kind: 'forged' }).map((d) => d.attempts.length),
      [1, 1, 1],
    );
  } finally {
    await cp.close();
    await receiver.close();
  }
});

test('invoices expire after expires_in or on demand; no webhook without a URL; non-loopback URLs are refused', async () => {
  const cp = await startCryptoPay();
  try {
    const refused = await requestJson(`${cp.url}/_sim/webhook`, { method: 'PUT', body: { url: 'http://192.168.1.10/hook' } });
    assert.equal(refused.status, 400);
    assert.throws(() => buildCryptoPaySim({ webhookUrl: 'https://example.com/hook' }), /loopback/);
    const quick = resultOf<Invoice>(await cp.api('createInvoice', { asset: 'TON', amount: '1', expires_in: 1 }));
    const manual = resultOf<Invoice>(await cp.api('createInvoice', { asset: 'TON', amount: '1' }));
    assert.equal((await requestJson<Invoice>(`${cp.url}/_sim/invoices/${manual.invoice_id}/expire`, { body: {} })).body.status, 'expired');
    await sleep(1100);
    const read = resultOf<{ items: Invoice[] }>(await cp.api('getInvoices', { invoice_ids: `${quick.invoice_id},${manual.invoice_id}` }));
    assert.deepEqual(read.items.map((i) => i.status), ['expired', 'expired']);
    const paidNoUrl = await requestJson<{ delivery: DeliveryRecord | null }>(`${cp.url}/_sim/invoices/${resultOf<Invoice>(await cp.api('createInvoice', { asset: 'TON', amount: '1' })).invoice_id}/pay`, { body: {} });
    assert.equal(paidNoUrl.body.delivery, null);
  } finally {
    await cp.close();
  }
});

test('faults: forced failures (before or after the work), latency, counters and reset', async () => {
  const cp = await startCryptoPay();
  try {
    await requestJson(`${cp.url}/_sim/faults/errors`, { body: { code: 500, count: 1, methods: ['createInvoice'] } });
    assertCpError(await cp.api('createInvoice', { asset: 'TON', amount: '1' }), 500, 'APP_ERROR');
    assert.equal(cp.control.invoices().length, 0);
    cp.control.forceFailure({ code: 503, count: 1, processed: true, name: 'SERVICE_UNAVAILABLE' });
    assertCpError(await cp.api('createInvoice', { asset: 'TON', amount: '1' }), 503, 'SERVICE_UNAVAILABLE');
    assert.equal(cp.control.invoices().length, 1, 'the invoice exists though the client saw an error');

    cp.control.setLatency({ fixed_ms: 150, jitter_ms: 0 });
    const started = performance.now();
    resultOf(await cp.api('getMe'));
    assert.ok(performance.now() - started >= 145);
    cp.control.setLatency({ fixed_ms: 0, jitter_ms: 0 });

    const counters = cp.control.counters();
    assert.equal(counters.calls.createInvoice, 2);
    assert.equal(counters.errors['500'], 1);
    assert.equal(counters.errors['503'], 1);
    await requestJson(`${cp.url}/_sim/reset`, { body: {} });
    assert.equal(cp.control.invoices().length, 0);
    assert.deepEqual(cp.control.counters().calls, {});
    assert.equal(resultOf<Invoice>(await cp.api('createInvoice', { asset: 'TON', amount: '1' })).invoice_id, 100_001);
  } finally {
    await cp.close();
  }
});
