/**
 * BotReachability (L7, C4): getMe bounded by a short timeout, cached, and
 * shared by concurrent /health requests. Runs against the real simulator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Api } from 'grammy';
import { createBotReachability } from '../../../target/bot/reachability.ts';
import { startTelegram, TOKEN } from '../../sims/telegram-helpers.ts';

test('100 concurrent checks cost one getMe; the answer is reused for cacheMs, then asked again', async () => {
  const tg = await startTelegram();
  let now = 1_000_000;
  try {
    const reachability = createBotReachability(new Api(TOKEN, { apiRoot: tg.url }), { cacheMs: 2000, now: () => now });
    const results = await Promise.all(Array.from({ length: 100 }, () => reachability.check()));
    assert.ok(results.every((result) => result.ok));
    assert.equal(tg.control.counters().calls.getMe, 1);
    now += 1999;
    await reachability.check();
    assert.equal(tg.control.counters().calls.getMe, 1);
    now += 2;
    await reachability.check();
    assert.equal(tg.control.counters().calls.getMe, 2);
  } finally {
    await tg.close();
  }
});

test('a hanging Telegram is reported unreachable within the timeout, and reachable again once it answers', async () => {
  const tg = await startTelegram();
  try {
    const reachability = createBotReachability(new Api(TOKEN, { apiRoot: tg.url }), { timeoutMs: 300, cacheMs: 0 });
    tg.control.hang(10_000);
    const started = Date.now();
    const down = await reachability.check();
    const took = Date.now() - started;
    assert.equal(down.ok, false);
    assert.match(down.error ?? '', /timed out after 300 ms/);
    assert.ok(took < 1000, `answered in ${took} ms`);
    tg.control.clearHang();
    assert.equal((await reachability.check()).ok, true);

    tg.control.forceError({ error_code: 502, methods: ['getMe'] });
    const bad = await reachability.check();
    assert.equal(bad.ok, false);
    assert.match(bad.error ?? '', /^getMe failed: 502/);
  } finally {
    await tg.close();
  }
});

test('connection refused is unreachable, not an exception', async () => {
  const tg = await startTelegram();
  const url = tg.url;
  await tg.close();
  const reachability = createBotReachability(new Api(TOKEN, { apiRoot: url }), { timeoutMs: 500 });
  const result = await reachability.check();
  assert.equal(result.ok, false);
  assert.match(result.error ?? '', /^getMe failed/);
});
