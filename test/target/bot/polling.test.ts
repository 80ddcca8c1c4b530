/**
 * Receiving updates: per-chat order under concurrency, recovery after
 * Telegram hangs, answers 5xx or refuses connections (C4), clean stop, and
 * webhook mode (B8).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { TEXT } from '../../../target/bot/context.ts';
import { buildTelegramSim } from '../../../target/sims/telegram/sim.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';
import { closeTestDbs, createThrowawayPostgres } from '../support/throwaway-postgres.ts';
import { eventually, repliesTo, sleep, startBotHarness, TOKEN } from './bot-harness.ts';

let pg: ThrowawayPostgres;

before(async () => {
  pg = await createThrowawayPostgres('bot-polling');
});

after(async () => {
  await closeTestDbs();
  await pg?.dispose();
});

test('updates of one chat are handled in order while chats run concurrently', async () => {
  const h = await startBotHarness(pg);
  try {
    for (let user = 1; user <= 5; user += 1) {
      h.tg.control.injectCommand({ user, command: 'newhabit' });
      h.tg.control.injectMessage({ user, text: `Habit of ${user}` });
      h.tg.control.injectMessage({ user, text: '07:00' });
    }
    for (let user = 1; user <= 5; user += 1) {
      const replies = await repliesTo(h, user, 3);
      assert.equal(replies[0], TEXT.askTitle);
      assert.equal(replies[1], TEXT.askTime);
      assert.match(replies[2] ?? '', new RegExp(`^Habit "Habit of ${user}" created`));
    }
  } finally {
    await h.close();
  }
});

test('C4: while the simulator hangs, polling keeps retrying and answers once it is back', async () => {
  const h = await startBotHarness(pg);
  try {
    assert.deepEqual(await repliesTo(h, 1, 0), []);
    h.tg.control.injectCommand({ user: 1, command: 'start' });
    await repliesTo(h, 1, 1);
    h.tg.control.hang(30_000);
    h.tg.control.injectCommand({ user: 1, command: 'start' });
    // A hung getUpdates is abandoned after the poll timeout plus slack (1.5 s here); a loaded CI machine may need longer.
    await eventually('a failed poll', () => ((h.habitBot.pollingStatus()?.consecutiveFailures ?? 0) >= 1 ? true : undefined), 15_000);
    assert.equal(h.sentTo(1).length, 1, 'nothing answered while Telegram hangs');
    h.tg.control.clearHang();
    await repliesTo(h, 1, 2, 5000);
    await eventually('the poller reports recovery', () => (h.habitBot.pollingStatus()?.consecutiveFailures === 0 ? true : undefined));
    assert.ok(h.logLines.some((line) => line.event === 'polling_failed'));
    assert.ok(h.logLines.some((line) => line.event === 'polling_recovered'));
  } finally {
    await h.close();
  }
});

test('C4: getUpdates answering 503 is retried with backoff, and the pending update is answered after', async () => {
  const h = await startBotHarness(pg);
  try {
    h.tg.control.forceError({ error_code: 503, count: 4, methods: ['getUpdates'] });
    h.tg.control.injectCommand({ user: 1, command: 'start' });
    assert.deepEqual(await repliesTo(h, 1, 1, 5000), [TEXT.welcome]);
    const failures = h.logLines.filter((line) => line.event === 'polling_failed');
    assert.ok(failures.length >= 3, `${failures.length} logged failures`);
    const delays = failures.map((line) => line.retryInMs);
    assert.deepEqual(delays.slice(0, 4), [50, 100, 200, 200], 'exponential, capped');
  } finally {
    await h.close();
  }
});

test('C4: with Telegram refusing connections, polling keeps trying and recovers when it listens again', async () => {
  const h = await startBotHarness(pg);
  const port = Number(new URL(h.tg.url).port);
  await h.tg.close();
  const second = buildTelegramSim({ token: TOKEN, flood: { enabled: false } });
  try {
    await eventually('refused polls', () => ((h.habitBot.pollingStatus()?.consecutiveFailures ?? 0) >= 3 ? true : undefined), 5000);
    assert.match(h.habitBot.pollingStatus()?.lastError ?? '', /fetch failed|ECONNREFUSED|Network request/i);
    await second.app.listen({ host: '127.0.0.1', port });
    second.control.injectCommand({ user: 1, command: 'start' });
    const reply = await eventually('a reply from the restarted simulator', () => second.control.sent({ method: 'sendMessage' })[0], 5000);
    assert.equal(reply.text, TEXT.welcome);
  } finally {
    await h.habitBot.stop();
    await second.app.close();
  }
});

test('stop() ends a waiting long poll promptly and is safe to call twice', async () => {
  const h = await startBotHarness(pg, { deps: { polling: { pollTimeoutSeconds: 20, requestSlackMs: 500, backoffInitialMs: 50, backoffMaxMs: 200 } } });
  try {
    await eventually('a long poll waiting', () => (h.tg.control.status().long_poll_waiting ? true : undefined));
    const started = Date.now();
    await h.habitBot.stop();
    await h.habitBot.stop();
    assert.ok(Date.now() - started < 2500, `stopped in ${Date.now() - started} ms`);
    assert.equal(h.habitBot.pollingStatus()?.running, false);
  } finally {
    await h.close();
  }
});

test('B8: webhook mode — the fastify handler answers updates the simulator delivers, and refuses a wrong secret', async () => {
  const h = await startBotHarness(pg, { poll: false });
  const app = Fastify({ logger: false });
  app.post('/telegram/webhook', h.habitBot.webhookHandler({ secretToken: 'hook_secret' }));
  try {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    await h.habitBot.setWebhook(`${address}/telegram/webhook`, 'hook_secret');
    h.tg.control.injectCommand({ user: 3, command: 'newhabit' });
    h.tg.control.injectMessage({ user: 3, text: 'Drink water' });
    assert.deepEqual(await repliesTo(h, 3, 2), [TEXT.askTitle, TEXT.askTime]);

    const forged = await fetch(`${address}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ update_id: 999 }) });
    assert.equal(forged.status, 401);
    await sleep(50);
  } finally {
    await app.close();
    await h.close();
  }
});
