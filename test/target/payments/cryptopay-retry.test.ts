/**
 * §6 / §7.2 CryptoBot create_payment: the Crypto Pay client retries 3 times
 * (4 attempts) on a timeout or a connection error, then gives up with a
 * clear, non-retryable ProviderError; an error answer from the API is never
 * retried (Crypto Pay has no idempotency key: a retry could bill twice).
 * Against the real Crypto Pay simulator, in process, with a fast policy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createCryptoPayClient, DEFAULT_CRYPTOPAY_RETRY } from '../../../target/payments/cryptopay-client.ts';
import { ProviderError } from '../../../target/payments/provider-http.ts';
import { buildCryptoPaySim } from '../../../target/sims/cryptopay/sim.ts';

const CP_TOKEN = '12345:AAsimulatedCryptoPayToken0123456789';
const FAST = { retryDelaysMs: [50, 100, 200], attemptTimeoutMs: 200, overallTimeoutMs: 5000 };
const REQUEST = { amount: 50_000, fiat: 'RUB', description: 'Top-up', payload: 'key-1' };

interface RunningSim {
  sim: ReturnType<typeof buildCryptoPaySim>;
  url: string;
  /** createInvoice requests that reached the simulator (counted before any fault). */
  arrivals(): number;
  /** Makes the next `n` createInvoice connections drop without an answer. */
  resetNext(n: number): void;
  close(): Promise<void>;
}

async function startSim(): Promise<RunningSim> {
  const sim = buildCryptoPaySim({ token: CP_TOKEN });
  let arrivals = 0;
  let toReset = 0;
  sim.app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/createInvoice')) return;
    arrivals += 1;
    if (toReset > 0) {
      toReset -= 1;
      // Dropped before the simulator's handler runs: no invoice behind it.
      reply.hijack();
      request.raw.socket.destroy();
    }
  });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  return { sim, url, arrivals: () => arrivals, resetNext: (n) => (toReset = n), close: () => sim.app.close() };
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProviderError, `a ProviderError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected createInvoice to fail');
}

test('§6 Crypto Pay default policy: 3 retries at 1 s, 2 s, 4 s; 10 s per attempt; 30 s overall', () => {
  assert.deepEqual(DEFAULT_CRYPTOPAY_RETRY, { retryDelaysMs: [1000, 2000, 4000], attemptTimeoutMs: 10_000, overallTimeoutMs: 30_000 });
});

test('§6 Crypto Pay: two dropped connections are retried and the third attempt creates one invoice', async () => {
  const s = await startSim();
  try {
    const client = createCryptoPayClient({ apiUrl: `${s.url}/api`, token: CP_TOKEN, retry: FAST });
    s.resetNext(2);
    const invoice = await client.createInvoice(REQUEST);
    assert.equal(s.arrivals(), 3, 'two failed attempts, then one that went through');
    assert.equal(invoice.payload, 'key-1');
    assert.equal(s.sim.control.invoices().length, 1, 'one invoice at Crypto Pay');
  } finally {
    await s.close();
  }
});

test('§6 Crypto Pay: a hanging API is tried 4 times (3 retries), each bounded, then a clear timeout error', async () => {
  const s = await startSim();
  try {
    const client = createCryptoPayClient({ apiUrl: `${s.url}/api`, token: CP_TOKEN, retry: FAST });
    s.sim.control.hang(30_000);
    const started = Date.now();
    const error = await rejection(client.createInvoice(REQUEST));
    const took = Date.now() - started;
    assert.equal(s.arrivals(), 4, 'the first attempt and 3 retries');
    assert.equal(error.kind, 'timeout');
    assert.equal(error.retryable, false, 'the final error is not retryable');
    assert.match(error.message, /^cryptopay did not answer within \d+ ms \(gave up after 4 attempts or 5000 ms\)$/);
    // 4 attempts of 200 ms plus 50 + 100 + 200 ms of backoff.
    assert.ok(took >= 1100 && took < 4000, `took ${took} ms`);
    s.sim.control.clearHang();
  } finally {
    await s.close();
  }
});

test('§6 Crypto Pay: every connection dropped or refused: 4 attempts, then a clear connection error', async () => {
  const s = await startSim();
  try {
    const client = createCryptoPayClient({ apiUrl: `${s.url}/api`, token: CP_TOKEN, retry: FAST });
    s.resetNext(100);
    const dropped = await rejection(client.createInvoice(REQUEST));
    assert.equal(s.arrivals(), 4, 'the first attempt and 3 retries');
    assert.equal(dropped.kind, 'connection');
    assert.match(dropped.message, /^cryptopay unreachable: .*\(gave up after 4 attempts or 5000 ms\)$/);
    assert.equal(s.sim.control.invoices().length, 0);
  } finally {
    await s.close();
  }

  // Nothing listens at all: ECONNREFUSED, retried with the backoff between attempts.
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const address = closed.address();
  assert.ok(address && typeof address === 'object');
  await new Promise((resolve) => closed.close(resolve));
  const client = createCryptoPayClient({ apiUrl: `http://127.0.0.1:${address.port}/api`, token: CP_TOKEN, retry: { ...FAST, retryDelaysMs: [100, 200, 300] } });
  const started = Date.now();
  const refused = await rejection(client.createInvoice(REQUEST));
  const took = Date.now() - started;
  assert.equal(refused.kind, 'connection');
  assert.match(refused.message, /^cryptopay unreachable: .*ECONNREFUSED.*\(gave up after 4 attempts/);
  assert.ok(took >= 600, `waited 100 + 200 + 300 ms between the 4 attempts (${took} ms)`);
});

test('§6 Crypto Pay: an API error answer (HTTP 500 or 400) is not retried', async () => {
  const s = await startSim();
  try {
    const client = createCryptoPayClient({ apiUrl: `${s.url}/api`, token: CP_TOKEN, retry: FAST });
    // The invoice is created, then the answer is an error: a retry would bill a second time.
    s.sim.control.forceFailure({ code: 500, count: 1, processed: true, methods: ['createInvoice'] });
    const error = await rejection(client.createInvoice(REQUEST));
    assert.equal(s.arrivals(), 1, 'one attempt only');
    assert.equal(error.kind, 'http');
    assert.equal(error.status, 500);
    assert.equal(error.retryable, false);
    assert.match(error.message, /^Crypto Pay createInvoice: 500 /);
    assert.equal(s.sim.control.invoices().length, 1, 'no second invoice');

    s.sim.control.forceFailure({ code: 400, name: 'AMOUNT_TOO_SMALL', count: 1, methods: ['createInvoice'] });
    const bad = await rejection(client.createInvoice(REQUEST));
    assert.equal(s.arrivals(), 2, 'again one attempt only');
    assert.equal(bad.status, 400);
    assert.match(bad.message, /^Crypto Pay createInvoice: 400 AMOUNT_TOO_SMALL$/);

    assert.equal((await client.createInvoice(REQUEST)).payload, 'key-1', 'works again once the errors are gone');
  } finally {
    await s.close();
  }
});
