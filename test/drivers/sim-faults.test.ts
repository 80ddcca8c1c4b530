/** The sim fault driver against the real simulators: every action is applied and reverted through /_sim. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { simFaultDriver, injectCalls } from '../../cli/drivers/faults/sim.ts';
import { FaultSchema } from '../../cli/drivers/registry.ts';
import type { SimFaultSpec } from '../../cli/drivers/faults/sim.ts';
import type { FaultContext } from '../../cli/drivers/faults/types.ts';
import type { StackProvider } from '../../cli/stack/types.ts';
import { buildTelegramSim } from '../../target/sims/telegram/sim.ts';
import { buildYooKassaSim } from '../../target/sims/yookassa/sim.ts';

const TOKEN = '7000000003:AAHsimulatedTokenForSimFaults000000';
const telegram = buildTelegramSim({ token: TOKEN });
const yookassa = buildYooKassaSim({});
const telegramUrl = await telegram.app.listen({ host: '127.0.0.1', port: 0 });
const yookassaUrl = await yookassa.app.listen({ host: '127.0.0.1', port: 0 });
after(async () => {
  await telegram.app.close();
  await yookassa.app.close();
});

const ctx: FaultContext = {
  stack: {} as StackProvider, // not used by this driver
  endpoints: { targetUrl: '', toxiproxyUrl: '', databaseUrl: '', proxies: {}, sims: { telegram: telegramUrl, yookassa: yookassaUrl } },
};
const spec = (input: Record<string, unknown>): SimFaultSpec => FaultSchema.parse({ driver: 'sim', ...input }) as SimFaultSpec;
const json = async (url: string): Promise<Record<string, unknown>> => (await fetch(url)).json() as Promise<Record<string, unknown>>;
const getMe = (): Promise<Response> => fetch(`${telegramUrl}/bot${TOKEN}/getMe`);

test('telegram 429 with retry_after for the next two calls, then normal again', async () => {
  const s = spec({ sim: 'telegram', action: 'errors', status: 429, count: 2, retryAfter: 3 });
  await simFaultDriver.inject('t', s, ctx);
  const first = await getMe();
  assert.equal(first.status, 429);
  assert.equal(((await first.json()) as { parameters: { retry_after: number } }).parameters.retry_after, 3);
  await simFaultDriver.revert('t', s, ctx);
  assert.equal((await getMe()).status, 200, 'the revert dropped the second forced failure');
});

test('latency is added and removed', async () => {
  const s = spec({ sim: 'telegram', action: 'latency', latency: '300ms' });
  await simFaultDriver.inject('t', s, ctx);
  const started = performance.now();
  await getMe();
  assert.ok(performance.now() - started >= 290);
  await simFaultDriver.revert('t', s, ctx);
  const again = performance.now();
  await getMe();
  assert.ok(performance.now() - again < 250);
});

test('a hang holds calls until the revert releases them', async () => {
  const s = spec({ sim: 'yookassa', action: 'hang' });
  await simFaultDriver.inject('t', s, ctx);
  const held = fetch(`${yookassaUrl}/v3/payments/nope`).then((r) => r.status);
  const early = await Promise.race([held, new Promise((r) => setTimeout(() => r('still held'), 300))]);
  assert.equal(early, 'still held');
  await simFaultDriver.revert('t', s, ctx);
  assert.notEqual(await held, 'still held');
});

test('flood scale and blocked users are telegram-only, applied and reverted', async () => {
  const flood = spec({ sim: 'telegram', action: 'flood', scale: 10 });
  await simFaultDriver.inject('t', flood, ctx);
  assert.equal((await json(`${telegramUrl}/_sim/flood`)).scale, 10);
  await simFaultDriver.revert('t', flood, ctx);
  assert.equal((await json(`${telegramUrl}/_sim/flood`)).scale, 1);

  const block = spec({ sim: 'telegram', action: 'block-user', user: 7 });
  await simFaultDriver.inject('t', block, ctx);
  assert.equal((await json(`${telegramUrl}/_sim/users/7`)).blocked, true);
  await simFaultDriver.revert('t', block, ctx);
  assert.equal((await json(`${telegramUrl}/_sim/users/7`)).blocked, false);

  assert.throws(() => FaultSchema.parse({ driver: 'sim', sim: 'yookassa', action: 'flood', scale: 2 }), /only on the telegram simulator/);
});

test('each simulator gets its own error body shape', () => {
  assert.deepEqual(injectCalls(spec({ sim: 'yookassa', action: 'errors', status: 503, count: 3 }))[0]?.body, { status: 503, count: 3 });
  assert.deepEqual(injectCalls(spec({ sim: 'cryptopay', action: 'errors', status: 500 }))[0]?.body, { code: 500, count: 1 });
  assert.deepEqual(injectCalls(spec({ sim: 'yookassa', action: 'errors', status: 500, count: 20, processed: true, methods: ['create'] }))[0]?.body, {
    status: 500,
    count: 20,
    processed: true,
    methods: ['create'],
  });
  assert.equal(FaultSchema.safeParse({ driver: 'sim', sim: 'telegram', action: 'errors', processed: true }).success, false, 'telegram has no processed failures');
});

test('resetAll clears every fault on every simulator', async () => {
  await simFaultDriver.inject('t', spec({ sim: 'telegram', action: 'latency', latency: '2s' }), ctx);
  await simFaultDriver.inject('t', spec({ sim: 'telegram', action: 'flood', scale: 5 }), ctx);
  await simFaultDriver.resetAll?.(ctx);
  assert.equal((await json(`${telegramUrl}/_sim/flood`)).scale, 1);
  const started = performance.now();
  await getMe();
  assert.ok(performance.now() - started < 1000);
});
