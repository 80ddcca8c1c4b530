/**
 * Telegram simulator, the harness side: the sent log as a query and as a
 * live stream (NDJSON and SSE), a real grammY bot long-polling the simulator
 * and answering /start, the control token, counters and reset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bot } from 'grammy';
import type { InjectResult } from '../../target/sims/telegram/injector.ts';
import type { SentRecord } from '../../target/sims/telegram/sent-log.ts';
import { requestJson } from './helpers.ts';
import { resultOf, startTelegram, TOKEN } from './telegram-helpers.ts';

interface StreamEvent {
  type: string;
  [key: string]: unknown;
}

/** Reads a live feed; `next` waits (bounded) for the first event matching `predicate`. */
async function openStream(url: string, sse = false): Promise<{ next(predicate: (e: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>; events: StreamEvent[]; close(): void; ended: Promise<void> }> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: sse ? { accept: 'text/event-stream' } : {}, signal: abort.signal });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', sse ? /^text\/event-stream/ : /^application\/x-ndjson/);
  const events: StreamEvent[] = [];
  const waiters = new Set<() => void>();
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const separator = sse ? '\n\n' : '\n';
        let index: number;
        while ((index = buffer.indexOf(separator)) >= 0) {
          const chunk = buffer.slice(0, index);
          buffer = buffer.slice(index + separator.length);
          if (chunk.trim() === '') continue;
          if (sse) {
            const type = /^event: (.*)$/m.exec(chunk)?.[1] ?? 'message';
            const data = JSON.parse(/^data: (.*)$/m.exec(chunk)?.[1] ?? '{}') as Record<string, unknown>;
            events.push({ type, ...data });
          } else {
            events.push(JSON.parse(chunk) as StreamEvent);
          }
          for (const wake of waiters) wake();
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    events,
    ended,
    close: () => abort.abort(),
    next: (predicate, timeoutMs = 5000) =>
      new Promise<StreamEvent>((resolve, reject) => {
        const check = (): boolean => {
          const found = events.find(predicate);
          if (found) {
            clearTimeout(timer);
            waiters.delete(wake);
            resolve(found);
          }
          return found !== undefined;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`no matching stream event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      }),
  };
}

test('a real grammY bot long-polls the simulator and answers /start; the stream shows the reply and its latency', async () => {
  const tg = await startTelegram();
  const bot = new Bot(TOKEN, { client: { apiRoot: tg.url } });
  bot.command('start', (ctx) => ctx.reply(`Welcome, ${ctx.from?.first_name ?? 'friend'}!`, { reply_markup: { inline_keyboard: [[{ text: 'Add habit', callback_data: 'habit:add' }]] } }));
  bot.callbackQuery('habit:add', (ctx) => ctx.answerCallbackQuery({ text: 'Name your habit' }));
  const stream = await openStream(`${tg.url}/_sim/sent/stream?chat_id=${tg.control.userId(11)}`);
  let running: Promise<void> | undefined;
  try {
    await stream.next((e) => e.type === 'subscribed');
    await new Promise<void>((resolve, reject) => {
      running = bot.start({ onStart: () => resolve() });
      running.catch(reject);
    });
    const injected = (await tg.control$('/updates/command', { user: 11, command: 'start', first_name: 'Ada' })).body as InjectResult;
    const reply = (await stream.next((e) => e.type === 'sent' && e.method === 'sendMessage')) as unknown as SentRecord & { type: string };
    assert.equal(reply.chat_id, tg.control.userId(11));
    assert.equal(reply.text, 'Welcome, Ada!');
    assert.equal(reply.ok, true);
    assert.equal(reply.answers_update_id, injected.update_id);
    assert.equal(reply.update_injected_at, injected.injected_at);
    const latency = reply.at - injected.injected_at;
    assert.ok(latency >= 0 && latency < 3000, `reply latency ${latency} ms`);
    assert.deepEqual(reply.reply_markup, { inline_keyboard: [[{ text: 'Add habit', callback_data: 'habit:add' }]] });

    const press = (await tg.control$('/updates/callback_query', { user: 11, data: 'habit:add' })).body as InjectResult;
    const answer = await stream.next((e) => e.type === 'sent' && e.method === 'answerCallbackQuery');
    assert.equal(answer.callback_query_id, press.callback_query_id);
    assert.equal(answer.answers_update_id, press.update_id);
    assert.equal(answer.ok, true);
  } finally {
    if (bot.isRunning()) await bot.stop();
    await running;
    stream.close();
    await tg.close();
  }
  const calls = tg.control.counters().calls;
  assert.ok((calls.getUpdates ?? 0) >= 2 && calls.getMe === 1 && calls.deleteWebhook === 1, JSON.stringify(calls));
});

test('the sent log can be queried by chat, method, time and outcome', async () => {
  const tg = await startTelegram();
  try {
    const a = tg.control.userId(1);
    const b = tg.control.userId(2);
    const injected = tg.control.injectMessage({ user: 1, text: 'hi' });
    resultOf(await tg.api('getUpdates'));
    resultOf(await tg.api('sendMessage', { chat_id: a, text: 'to a', reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'x' }]] } }));
    const middle = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    resultOf(await tg.api('sendMessage', { chat_id: b, text: 'to b' }));
    await tg.api('sendMessage', { chat_id: b, text: '' });

    const all = (await tg.control$('/sent')).body as { records: SentRecord[] };
    assert.equal(all.records.length, 3);
    const toA = (await tg.control$(`/sent?chat_id=${a}`)).body as { records: SentRecord[] };
    assert.equal(toA.records.length, 1);
    const [record] = toA.records;
    assert.equal(record?.method, 'sendMessage');
    assert.equal(record?.text, 'to a');
    assert.equal(record?.message_id, 2);
    assert.deepEqual(record?.reply_markup, { inline_keyboard: [[{ text: 'x', callback_data: 'x' }]] });
    assert.equal(record?.answers_update_id, injected.update_id, 'the update handed out to that chat');
    assert.equal(typeof record?.at, 'number');
    const later = (await tg.control$(`/sent?since=${middle + 1}`)).body as { records: SentRecord[] };
    assert.deepEqual(later.records.map((r) => r.chat_id), [b, b]);
    const failed = (await tg.control$('/sent?ok=false&method=sendMessage')).body as { records: SentRecord[] };
    assert.equal(failed.records.length, 1);
    assert.equal(failed.records[0]?.description, 'Bad Request: message text is empty');
    assert.equal(failed.records[0]?.answers_update_id, null, 'chat b got no update');
    const bad = await tg.control$('/sent?limit=0&colour=red');
    assert.equal(bad.status, 400);
  } finally {
    await tg.close();
  }
});

test('the stream speaks SSE too, can replay from a sequence number, and ends at its time bound', async () => {
  const tg = await startTelegram();
  try {
    resultOf(await tg.api('sendMessage', { chat_id: tg.control.userId(1), text: 'before' }));
    const sse = await openStream(`${tg.url}/_sim/sent/stream?after_seq=0&max_ms=400`, true);
    const replayed = await sse.next((e) => e.type === 'sent' && e.text === 'before');
    assert.equal(replayed.seq, 1);
    resultOf(await tg.api('sendMessage', { chat_id: tg.control.userId(1), text: 'live' }));
    await sse.next((e) => e.type === 'sent' && e.text === 'live');
    const end = await sse.next((e) => e.type === 'end', 2000);
    assert.equal(end.reason, 'time bound reached');
    await sse.ended;
  } finally {
    await tg.close();
  }
});

test('closing the simulator ends open streams', async () => {
  const tg = await startTelegram();
  const stream = await openStream(`${tg.url}/_sim/sent/stream`);
  await stream.next((e) => e.type === 'subscribed');
  const started = Date.now();
  await tg.close();
  await stream.ended;
  assert.ok(Date.now() - started < 2000);
  assert.equal(stream.events.at(-1)?.type, 'end');
});

test('with a control token, /_sim needs it; the Bot API does not', async () => {
  const tg = await startTelegram({ controlToken: 's3cret' });
  try {
    const denied = await tg.control$('/status');
    assert.equal(denied.status, 401);
    const allowed = await requestJson(`${tg.url}/_sim/status`, { headers: { 'x-sim-control-token': 's3cret' } });
    assert.equal(allowed.status, 200);
    resultOf(await tg.api('getMe'));
  } finally {
    await tg.close();
  }
});

test('counters, status and reset', async () => {
  const tg = await startTelegram();
  try {
    tg.control.injectMessage({ user: 1, text: 'x' });
    tg.control.blockUser(2);
    resultOf(await tg.api('sendMessage', { chat_id: tg.control.userId(1), text: 'y' }));
    await tg.api('sendMessage', { chat_id: tg.control.userId(2), text: 'y' });
    const counters = (await tg.control$('/counters')).body as { calls: Record<string, number>; forbidden: number; updates_injected: number };
    assert.equal(counters.calls.sendMessage, 2);
    assert.equal(counters.forbidden, 1);
    assert.equal(counters.updates_injected, 1);
    const status = tg.control.status();
    assert.equal(status.pending_updates, 1);
    assert.equal(status.sent_records, 2);
    const user = (await tg.control$('/users/2')).body as { chat_id: number; blocked: boolean };
    assert.deepEqual([user.chat_id, user.blocked], [tg.control.userId(2), true]);

    const reset = await tg.control$('/reset', {});
    assert.equal(reset.status, 200);
    const after = tg.control.status();
    assert.equal(after.pending_updates, 0);
    assert.equal(after.sent_records, 0);
    assert.deepEqual(after.blocked_user_ids, []);
    assert.deepEqual(after.counters.calls, {});
    assert.equal(tg.control.injectMessage({ user: 1, text: 'fresh' }).update_id, 1, 'update ids start again');
  } finally {
    await tg.close();
  }
});
