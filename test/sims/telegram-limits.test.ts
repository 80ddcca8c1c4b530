/**
 * Telegram simulator, what goes wrong for a bot: flood limits (429 with
 * retry_after, and recovery after it), users who blocked the bot (403),
 * forced errors, added latency and a hang.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FloodLimiter, DEFAULT_FLOOD_LIMITS } from '../../target/sims/telegram/flood-limiter.ts';
import type { TgEnvelope } from '../../target/sims/telegram/types.ts';
import { sleep } from './helpers.ts';
import { assertTgError, resultOf, startTelegram } from './telegram-helpers.ts';

function retryAfterOf(body: TgEnvelope): number | undefined {
  return body.ok ? undefined : body.parameters?.retry_after;
}

test('private chat: a short burst passes, then 429 with retry_after, and it passes again after waiting that long', async () => {
  const tg = await startTelegram();
  try {
    const chatId = tg.control.userId(1);
    for (let i = 0; i < 3; i += 1) resultOf(await tg.api('sendMessage', { chat_id: chatId, text: `burst ${i}` }));
    const refused = await tg.api('sendMessage', { chat_id: chatId, text: 'one too many' });
    assertTgError(refused, 429, 'Too Many Requests: retry after 1');
    assert.equal(retryAfterOf(refused.body), 1);
    assert.deepEqual(refused.body, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } });
    resultOf(await tg.api('sendMessage', { chat_id: tg.control.userId(2), text: 'other chats are not affected' }));
    await sleep(1000 * (retryAfterOf(refused.body) ?? 1) + 20);
    resultOf(await tg.api('sendMessage', { chat_id: chatId, text: 'after retry_after' }));
    assert.equal(tg.control.counters().too_many_requests, 1);
    const [record] = tg.control.sent({ ok: false });
    assert.equal(record?.error_code, 429);
  } finally {
    await tg.close();
  }
});

test('overall limit: about 30 messages per second across chats, configurable and scalable', async () => {
  const tg = await startTelegram({ flood: { global_per_second: 1, global_burst: 5 } });
  try {
    for (let n = 1; n <= 5; n += 1) resultOf(await tg.api('sendMessage', { chat_id: tg.control.userId(n), text: 'broadcast' }));
    const refused = await tg.api('sendMessage', { chat_id: tg.control.userId(6), text: 'broadcast' });
    assertTgError(refused, 429, 'Too Many Requests: retry after 1');
    assert.equal(retryAfterOf(refused.body), 1);

    const limits = tg.control.setFlood({ scale: 4 });
    assert.deepEqual([limits.scale, limits.global_per_second, limits.global_burst], [4, 1, 5]);
    let passed = 0;
    for (let n = 10; n < 100; n += 1) {
      const answer = await tg.api('sendMessage', { chat_id: tg.control.userId(n), text: 'scaled' });
      if (answer.status === 429) break;
      passed += 1;
    }
    assert.ok(passed >= 20 && passed <= 23, `scale 4 lets a burst of 4 x 5 through, got ${passed}`);

    const off = await tg.control$('/flood', { enabled: false }, 'PUT');
    assert.equal((off.body as { enabled: boolean }).enabled, false);
    for (let n = 200; n < 220; n += 1) resultOf(await tg.api('sendMessage', { chat_id: tg.control.userId(n), text: 'unlimited' }));
  } finally {
    await tg.close();
  }
});

test('group chat: 20 messages per minute, so retry_after is counted in seconds to the next slot', async () => {
  const tg = await startTelegram({ flood: { group_burst: 2 } });
  try {
    const groupId = tg.control.groupChatId(1);
    resultOf(await tg.api('sendMessage', { chat_id: groupId, text: '1' }));
    resultOf(await tg.api('sendMessage', { chat_id: groupId, text: '2' }));
    const refused = await tg.api('sendMessage', { chat_id: groupId, text: '3' });
    assertTgError(refused, 429, 'Too Many Requests: retry after 3');
    assert.equal(retryAfterOf(refused.body), 3, '60 s / 20 messages = one every 3 s');
  } finally {
    await tg.close();
  }
});

test('the flood limiter itself: refusals count nothing, and the wait shrinks as time passes', () => {
  const limiter = new FloodLimiter({ ...DEFAULT_FLOOD_LIMITS, private_burst: 1 });
  const t0 = 1_000_000;
  assert.equal(limiter.admit(1, 'private', t0), 0);
  assert.equal(limiter.admit(1, 'private', t0 + 10), 1);
  assert.equal(limiter.admit(1, 'private', t0 + 500), 1);
  assert.equal(limiter.admit(1, 'private', t0 + 1000), 0);
  assert.throws(() => limiter.set({ ...DEFAULT_FLOOD_LIMITS, scale: 0 }), /scale/);

  limiter.set({ ...DEFAULT_FLOOD_LIMITS, scale: 10 });
  const t1 = Date.now() + 10_000;
  let admitted = 0;
  while (limiter.admit(2, 'private', t1) === 0) admitted += 1;
  assert.equal(admitted, 30, 'scale 10 turns a private burst of 3 into 30');
  assert.equal(limiter.admit(2, 'private', t1 + 100), 0, 'and a pace of 1/s into 10/s');
});

test('a user who blocked the bot gets 403 "Forbidden: bot was blocked by the user" until unblocked', async () => {
  const tg = await startTelegram();
  try {
    const chatId = tg.control.userId(3);
    const blocked = await tg.control$('/users/3/block', {});
    assert.equal(blocked.status, 200);
    const answer = await tg.api('sendMessage', { chat_id: chatId, text: 'reminder' });
    assert.deepEqual(answer.body, { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    assert.equal(answer.status, 403);
    assertTgError(await tg.api('sendChatAction', { chat_id: chatId, action: 'typing' }), 403, 'Forbidden: bot was blocked by the user');
    assert.equal(tg.control.counters().forbidden, 2);
    assert.deepEqual(tg.control.status().blocked_user_ids, [chatId]);
    await tg.control$('/users/3/unblock', {});
    resultOf(await tg.api('sendMessage', { chat_id: chatId, text: 'welcome back' }));
    tg.control.blockUser(3);
    tg.control.injectCommand({ user: 3, command: 'start' });
    resultOf(await tg.api('sendMessage', { chat_id: chatId, text: 'restarting the bot unblocks it' }));
  } finally {
    await tg.close();
  }
});

test('forced 429 for the next K calls of chosen methods, then any other error code', async () => {
  const tg = await startTelegram();
  try {
    const chatId = tg.control.userId(4);
    const forced = await tg.control$('/faults/errors', { error_code: 429, count: 2, retry_after: 7, methods: ['sendMessage'] });
    assert.equal(forced.status, 200);
    resultOf(await tg.api('getMe'));
    for (let i = 0; i < 2; i += 1) {
      const refused = await tg.api('sendMessage', { chat_id: chatId, text: 'x' });
      assert.deepEqual(refused.body, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });
    }
    resultOf(await tg.api('sendMessage', { chat_id: chatId, text: 'third goes through' }));

    tg.control.forceError({ error_code: 502, count: 1 });
    assertTgError(await tg.api('getMe'), 502, 'Bad Gateway');
    resultOf(await tg.api('getMe'));
    tg.control.forceError({ error_code: 400, count: 5, description: 'Bad Request: chat not found', methods: ['sendMessage'] });
    await tg.control$('/faults/errors', undefined, 'DELETE');
    resultOf(await tg.api('sendMessage', { chat_id: chatId, text: 'cleared' }));
    const counters = tg.control.counters();
    assert.equal(counters.too_many_requests, 2);
    assert.equal(counters.errors['502'], 1);

    const invalid = await tg.control$('/faults/errors', { error_code: 200, count: 0, extra: true });
    assert.equal(invalid.status, 400);
    assert.equal((invalid.body as { issues: string[] }).issues.length, 3, 'every problem is listed');
  } finally {
    await tg.close();
  }
});

test('latency (fixed + jitter) is added to every Bot API call, not to the control API', async () => {
  const tg = await startTelegram();
  try {
    const set = await tg.control$('/faults/latency', { fixed_ms: 200, jitter_ms: 50 }, 'PUT');
    assert.equal(set.status, 200);
    const started = performance.now();
    resultOf(await tg.api('getMe'));
    const slow = performance.now() - started;
    assert.ok(slow >= 195 && slow < 1000, `getMe took ${slow.toFixed(0)} ms`);
    const controlStart = performance.now();
    await tg.control$('/status');
    assert.ok(performance.now() - controlStart < 150, 'the control API is not slowed');
    tg.control.setLatency({ fixed_ms: 0, jitter_ms: 0 });
    const fastStart = performance.now();
    resultOf(await tg.api('getMe'));
    assert.ok(performance.now() - fastStart < 150);
  } finally {
    await tg.close();
  }
});

test('a hang holds every call until cleared, and close() does not wait for held calls', async () => {
  const tg = await startTelegram();
  let closed = false;
  try {
    tg.control.hang(5000);
    let answered = false;
    const held = tg.api('getMe').then((a) => {
      answered = true;
      return a;
    });
    await sleep(200);
    assert.equal(answered, false);
    assert.equal(tg.control.status().faults.held_calls, 1);
    await tg.control$('/faults/hang', undefined, 'DELETE');
    resultOf(await held);

    tg.control.hang(5000);
    const heldAtClose = tg.api('getMe').catch(() => null);
    await sleep(50);
    const closeStart = Date.now();
    await tg.close();
    closed = true;
    assert.ok(Date.now() - closeStart < 2000, 'close does not wait out the hang');
    await heldAtClose;
  } finally {
    if (!closed) await tg.close();
  }
});
