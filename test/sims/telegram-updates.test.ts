/**
 * Telegram simulator, receiving updates: getUpdates offset, limit, long poll
 * and its 409s; webhooks with the secret header, retried until 2xx.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TgUpdate, TgWebhookInfo } from '../../target/sims/telegram/types.ts';
import { SECRET_TOKEN_HEADER } from '../../target/sims/telegram/webhook-sender.ts';
import { startReceiver, waitFor } from './helpers.ts';
import { assertTgError, resultOf, startTelegram } from './telegram-helpers.ts';

test('getUpdates: offset confirms, limit caps, a negative offset keeps the newest', async () => {
  const tg = await startTelegram();
  try {
    const ids = [1, 2, 3, 4, 5].map((n) => tg.control.injectMessage({ user: n, text: `m${n}` }).update_id);
    assert.deepEqual(ids, [1, 2, 3, 4, 5]);
    const firstTwo = resultOf<TgUpdate[]>(await tg.api('getUpdates', { limit: 2 }));
    assert.deepEqual(firstTwo.map((u) => u.update_id), [1, 2]);
    assert.equal(firstTwo[0]?.message?.text, 'm1');
    assert.equal(firstTwo[0]?.message?.from?.id, tg.control.userId(1));
    assert.equal(firstTwo[0]?.message?.chat.type, 'private');
    const again = resultOf<TgUpdate[]>(await tg.api('getUpdates', { limit: 2 }));
    assert.deepEqual(again.map((u) => u.update_id), [1, 2], 'nothing is confirmed without an offset');
    const rest = resultOf<TgUpdate[]>(await tg.api('getUpdates', { offset: 3 }));
    assert.deepEqual(rest.map((u) => u.update_id), [3, 4, 5]);
    const zeroLimit = resultOf<TgUpdate[]>(await tg.api('getUpdates', { offset: 3, limit: 0 }));
    assert.equal(zeroLimit.length, 1, 'limit is clamped to 1..100');
    const newest = resultOf<TgUpdate[]>(await tg.api('getUpdates', { offset: -1 }));
    assert.deepEqual(newest.map((u) => u.update_id), [5]);
    const empty = resultOf<TgUpdate[]>(await tg.api('getUpdates', { offset: 6 }));
    assert.deepEqual(empty, []);
    assert.equal(tg.control.status().pending_updates, 0);
  } finally {
    await tg.close();
  }
});

test('/commands carry a bot_command entity; group updates come from the group chat', async () => {
  const tg = await startTelegram();
  try {
    tg.control.injectCommand({ user: 3, command: 'start', args: 'ref42' });
    tg.control.injectMessage({ user: 3, group: 2, text: 'hi all' });
    const [command, groupMessage] = resultOf<TgUpdate[]>(await tg.api('getUpdates'));
    assert.equal(command?.message?.text, '/start ref42');
    assert.deepEqual(command?.message?.entities, [{ type: 'bot_command', offset: 0, length: 6 }]);
    assert.equal(groupMessage?.message?.chat.type, 'group');
    assert.equal(groupMessage?.message?.chat.id, tg.control.groupChatId(2));
    assert.equal(groupMessage?.message?.from?.id, tg.control.userId(3));
  } finally {
    await tg.close();
  }
});

test('a long poll is held until an update arrives, or answers [] at its timeout', async () => {
  const tg = await startTelegram();
  try {
    const started = Date.now();
    const waiting = tg.api('getUpdates', { timeout: 5 });
    await waitFor(() => tg.control.status().long_poll_waiting);
    setTimeout(() => tg.control.injectMessage({ user: 1, text: 'wake up' }), 150);
    const updates = resultOf<TgUpdate[]>(await waiting);
    const elapsed = Date.now() - started;
    assert.equal(updates.length, 1);
    assert.equal(updates[0]?.message?.text, 'wake up');
    assert.ok(elapsed >= 140 && elapsed < 2000, `answered on arrival, after ${elapsed} ms`);

    const quietStart = Date.now();
    const quiet = resultOf<TgUpdate[]>(await tg.api('getUpdates', { offset: 2, timeout: 1 }));
    const quietElapsed = Date.now() - quietStart;
    assert.deepEqual(quiet, []);
    assert.ok(quietElapsed >= 950 && quietElapsed < 2500, `held for the 1 s timeout, took ${quietElapsed} ms`);
  } finally {
    await tg.close();
  }
});

test('a newer getUpdates terminates the waiting one with 409; a set webhook makes getUpdates 409', async () => {
  const tg = await startTelegram();
  try {
    const first = tg.api('getUpdates', { timeout: 10 });
    await waitFor(() => tg.control.status().long_poll_waiting);
    const second = tg.api('getUpdates', { timeout: 1 });
    assertTgError(await first, 409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running');
    assert.deepEqual(resultOf(await second), []);

    const receiver = await startReceiver([200]);
    try {
      assert.equal(resultOf<boolean>(await tg.api('setWebhook', { url: receiver.url })), true);
      assertTgError(
        await tg.api('getUpdates'),
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
      const deleted = await tg.api('deleteWebhook');
      assert.deepEqual(deleted.body, { ok: true, result: true, description: 'Webhook was deleted' });
      assert.deepEqual(resultOf(await tg.api('getUpdates')), []);
    } finally {
      await receiver.close();
    }
  } finally {
    await tg.close();
  }
});

test('webhook: each update is POSTed with the secret header and retried until the bot answers 2xx', async () => {
  const tg = await startTelegram({ webhookRetry: { initialDelayMs: 40, factor: 2, maxDelayMs: 200 } });
  const receiver = await startReceiver([500, 502, 200, 200]);
  try {
    resultOf(await tg.api('setWebhook', { url: receiver.url, secret_token: 'sim-secret_1' }));
    const injected = tg.control.injectCommand({ user: 4, command: 'start' });
    assert.ok(await waitFor(() => receiver.received.length >= 3), 'three attempts reach the receiver');
    const bodies = receiver.received.map((r) => JSON.parse(r.body) as TgUpdate);
    assert.deepEqual(bodies.map((u) => u.update_id), [injected.update_id, injected.update_id, injected.update_id]);
    assert.equal(bodies[0]?.message?.text, '/start');
    for (const request of receiver.received) {
      assert.equal(request.headers[SECRET_TOKEN_HEADER.toLowerCase()], 'sim-secret_1');
      assert.match(request.headers['content-type'] ?? '', /^application\/json/);
    }
    const gaps = receiver.received.slice(1).map((r, i) => r.at - (receiver.received[i]?.at ?? 0));
    assert.ok(gaps.every((gap) => gap >= 30), `retries wait for the backoff: ${gaps.join(', ')} ms`);
    assert.ok(await waitFor(() => tg.control.webhookInfo().pending_update_count === 0));
    const info = resultOf<TgWebhookInfo>(await tg.api('getWebhookInfo'));
    assert.equal(info.url, receiver.url);
    assert.equal(info.pending_update_count, 0);
    assert.equal(info.last_error_message, 'Wrong response from the webhook: 502 Bad Gateway');
    assert.equal(typeof info.last_error_date, 'number');

    tg.control.injectMessage({ user: 4, text: 'second' });
    assert.ok(await waitFor(() => receiver.received.length === 4), 'the next update goes out once the first is accepted');
    assert.equal((JSON.parse(receiver.received[3]?.body ?? '{}') as TgUpdate).message?.text, 'second');
    assert.equal(tg.control.counters().webhook_failures, 2);
  } finally {
    await tg.close();
    await receiver.close();
  }
});

test('webhook: redelivery is bounded; the update is dropped when the policy gives up', async () => {
  const tg = await startTelegram({ webhookRetry: { initialDelayMs: 10, factor: 1, maxDelayMs: 10, maxAttempts: 3 } });
  const receiver = await startReceiver([500]);
  try {
    resultOf(await tg.api('setWebhook', { url: receiver.url }));
    tg.control.injectMessage({ user: 1, text: 'never accepted' });
    assert.ok(await waitFor(() => tg.control.counters().webhook_dropped === 1));
    assert.equal(receiver.received.length, 3);
    assert.equal(tg.control.webhookInfo().pending_update_count, 0);
  } finally {
    await tg.close();
    await receiver.close();
  }
});

test('webhook: a new URL set while an update is being retried takes over its delivery', async () => {
  const tg = await startTelegram({ webhookRetry: { initialDelayMs: 5000, maxDelayMs: 5000 } });
  const broken = await startReceiver([500]);
  const fixed = await startReceiver([200]);
  try {
    resultOf(await tg.api('setWebhook', { url: broken.url }));
    const injected = tg.control.injectMessage({ user: 2, text: 'stuck' });
    assert.ok(await waitFor(() => broken.received.length === 1));
    resultOf(await tg.api('setWebhook', { url: fixed.url }));
    assert.ok(await waitFor(() => fixed.received.length === 1), 'the new URL gets the update without waiting for the old backoff');
    assert.equal((JSON.parse(fixed.received[0]?.body ?? '{}') as TgUpdate).update_id, injected.update_id);
    assert.equal(tg.control.webhookInfo().last_error_message, undefined, 'a new URL starts without an error');
  } finally {
    await tg.close();
    await broken.close();
    await fixed.close();
  }
});

test('webhook: the bot may answer with a method call, which is executed', async () => {
  const tg = await startTelegram();
  const chatId = tg.control.userId(5);
  const receiver = await startReceiver([200], JSON.stringify({ method: 'sendMessage', chat_id: chatId, text: 'from the webhook answer' }));
  try {
    resultOf(await tg.api('setWebhook', { url: receiver.url }));
    const injected = tg.control.injectMessage({ user: 5, text: 'hi' });
    assert.ok(await waitFor(() => tg.control.sent({ chat_id: chatId }).length === 1));
    const [record] = tg.control.sent({ chat_id: chatId });
    assert.equal(record?.text, 'from the webhook answer');
    assert.equal(record?.answers_update_id, injected.update_id);
  } finally {
    await tg.close();
    await receiver.close();
  }
});

test('setWebhook refuses non-loopback URLs and bad secrets; drop_pending_updates forgets the queue', async () => {
  const tg = await startTelegram();
  try {
    assertTgError(await tg.api('setWebhook', { url: 'https://example.com/hook' }), 400, /^Bad Request: bad webhook: .*loopback/);
    assertTgError(await tg.api('setWebhook', { url: 'http://10.0.0.1/hook' }), 400, /^Bad Request: bad webhook: .*not a loopback address/);
    assertTgError(await tg.api('setWebhook', { url: 'http://127.0.0.1:9/hook', secret_token: 'bad secret!' }), 400, 'Bad Request: bad webhook: secret token contains unallowed characters');
    tg.control.injectMessage({ user: 1, text: 'stale' });
    // Nothing listens on port 9; the pending update is dropped before it is sent anywhere.
    resultOf(await tg.api('setWebhook', { url: 'http://127.0.0.1:9/hook', drop_pending_updates: true }));
    assert.equal(tg.control.webhookInfo().pending_update_count, 0);
    const deleted = await tg.api('deleteWebhook', { drop_pending_updates: true });
    assert.deepEqual(deleted.body, { ok: true, result: true, description: 'Webhook was deleted' });
    const again = await tg.api('deleteWebhook');
    assert.deepEqual(again.body, { ok: true, result: true, description: 'Webhook is already deleted' });
    assert.equal(tg.control.webhookInfo().url, '');
  } finally {
    await tg.close();
  }
});
