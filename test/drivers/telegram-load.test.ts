/**
 * The telegram load driver against the real Telegram simulator and a real grammY
 * bot: replies are matched to their updates, latency is measured, missing and
 * unwanted replies are counted as errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bot } from 'grammy';
import { telegramLoadDriver, actionRequest, arrivalOffsetMs } from '../../cli/drivers/load/telegram.ts';
import { startClock } from '../../cli/core/clock.ts';
import { EventBus } from '../../cli/core/events.ts';
import type { LoadSecond } from '../../cli/core/journal.ts';
import { LoadSchema } from '../../cli/drivers/registry.ts';
import { TelegramActionSchema, type TelegramLoadSpec } from '../../cli/drivers/load/telegram.ts';
import { buildTelegramSim } from '../../target/sims/telegram/sim.ts';

const TOKEN = '7000000002:AAHsimulatedTokenForTheLoadDriver0000';
const sim = buildTelegramSim({ token: TOKEN, flood: { enabled: false } });
const simUrl = await sim.app.listen({ host: '127.0.0.1', port: 0 });
const bot = new Bot(TOKEN, { client: { apiRoot: simUrl } });
let running: Promise<void> | undefined;

bot.command('start', (ctx) => ctx.reply('welcome'));
bot.on('callback_query:data', (ctx) => ctx.answerCallbackQuery({ text: `done ${ctx.callbackQuery.data}` }));
bot.on('message:text', async (ctx) => {
  if (ctx.message.text.includes('ignore')) return; // the bot stays silent: a "none" reply is right
  if (ctx.message.text.includes('slow')) await new Promise((r) => setTimeout(r, 400));
  await ctx.reply(`echo ${ctx.message.text}`, { reply_markup: { inline_keyboard: [[{ text: 'done', callback_data: 'habit_done:1' }]] } });
});

before(async () => {
  await new Promise<void>((resolve) => {
    running = bot.start({ onStart: () => resolve(), timeout: 1 });
  });
});

after(async () => {
  await bot.stop();
  await running;
  await sim.app.close();
});

function spec(input: Record<string, unknown>): TelegramLoadSpec {
  return LoadSchema.parse({ driver: 'telegram', ...input }) as TelegramLoadSpec;
}

async function drive(s: TelegramLoadSpec, durationMs: number, telegramUrl = simUrl) {
  const bus = new EventBus();
  const seconds: LoadSecond[] = [];
  bus.on('load:second', (e) => seconds.push(e.second));
  const clock = startClock();
  const run = telegramLoadDriver.start('tg', s, durationMs, {
    endpoints: { targetUrl: 'http://127.0.0.1:1', toxiproxyUrl: 'http://127.0.0.1:1', databaseUrl: '', proxies: {}, sims: { telegram: telegramUrl } },
    clock,
    bus,
  });
  const timer = setTimeout(() => void run.stop(), durationMs);
  const record = await run.finished;
  clearTimeout(timer);
  return { record, seconds };
}

test('actions become control requests with {user} filled in', () => {
  assert.deepEqual(actionRequest(TelegramActionSchema.parse({ command: 'start' }), 7), { kind: 'command', body: { user: 7, command: 'start' } });
  assert.deepEqual(actionRequest(TelegramActionSchema.parse({ callback: 'habit_done:{user}' }), 7), { kind: 'callback_query', body: { user: 7, data: 'habit_done:7' } });
  assert.deepEqual(actionRequest(TelegramActionSchema.parse({ message: 'hi {user}' }), 3), { kind: 'message', body: { user: 3, text: 'hi 3' } });
  const s = spec({ users: 10, rate: 5, script: [{ command: 'start' }] });
  assert.equal(arrivalOffsetMs(s, 4), 800);
  assert.equal(arrivalOffsetMs(spec({ users: 10, arrival: 'burst', script: [{ command: 'start' }] }), 9), 0);
});

test('a burst of /start from 30 users: every reply matched to its update, with a latency', async () => {
  const { record, seconds } = await drive(spec({ users: 30, arrival: 'burst', script: [{ command: 'start' }], replyTimeout: '5s' }), 2000);
  assert.equal(record.requests, 30);
  assert.equal(record.statusCounts.replied, 30, JSON.stringify(record.statusCounts));
  assert.equal(record.errors, 0);
  assert.equal(record.latency.count, 30);
  assert.ok(record.latency.max > 0 && record.latency.max < 5000, `max ${record.latency.max}`);
  assert.ok(seconds.length >= 1);
  assert.equal(record.driverError, undefined);
});

test('a multi-step script with a callback tap, arriving at a rate', async () => {
  const { record } = await drive(spec({ users: 5, rate: 20, script: [{ message: 'hello {user}' }, { callback: 'habit_done:1' }] }), 2000);
  assert.equal(record.requests, 10);
  assert.equal(record.statusCounts.replied, 10, JSON.stringify(record.statusCounts));
});

test('silence where a reply is expected is "missing"; a reply where none is wanted is "unexpected"', async () => {
  const { record } = await drive(
    spec({
      users: 2,
      arrival: 'burst',
      replyTimeout: '700ms',
      script: [{ message: 'please ignore' }, { message: 'answered', reply: 'none' }, { message: 'ignore me too', reply: 'none' }],
    }),
    1500,
  );
  assert.equal(record.statusCounts.missing, 2, JSON.stringify(record.statusCounts));
  assert.equal(record.statusCounts.unexpected, 2);
  assert.equal(record.statusCounts.replied, 2, 'staying silent when asked to is a success');
  assert.equal(record.errors, 4);
});

test('latency reflects a slow handler', async () => {
  const { record } = await drive(spec({ users: 3, arrival: 'burst', script: [{ message: 'slow one' }] }), 1500);
  assert.equal(record.statusCounts.replied, 3);
  assert.ok(record.latency.min >= 390, `min ${record.latency.min}`);
});

/**
 * A pass-through to the simulator that holds every inject answer for `holdMs`:
 * the bot's reply reaches the sent stream before the driver learns the update's id.
 */
async function slowInjectAnswers(holdMs: number): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(simUrl);
  const server = http.createServer((incoming, outgoing) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
      (answer) => {
        const hold = incoming.url?.startsWith('/_sim/updates/') ? holdMs : 0;
        setTimeout(() => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        }, hold);
      },
    );
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

test('a reply that reaches the sent stream before the inject call returns is still matched to its update', async () => {
  const slow = await slowInjectAnswers(300);
  try {
    const { record } = await drive(spec({ users: 5, arrival: 'burst', script: [{ command: 'start' }, { callback: 'habit_done:1' }], replyTimeout: '2s' }), 3000, slow.url);
    assert.equal(record.statusCounts.replied, 10, JSON.stringify(record.statusCounts));
    assert.equal(record.errors, 0);
  } finally {
    await slow.close();
  }
});

test('an unreachable simulator is a driver error, not a verdict', async () => {
  const clock = startClock();
  const run = telegramLoadDriver.start('tg', spec({ users: 1, script: [{ command: 'start' }], replyTimeout: '200ms' }), 500, {
    endpoints: { targetUrl: 'http://127.0.0.1:1', toxiproxyUrl: 'http://127.0.0.1:1', databaseUrl: '', proxies: {}, sims: { telegram: 'http://127.0.0.1:1' } },
    clock,
    bus: new EventBus(),
  });
  const record = await run.finished;
  assert.match(record.driverError ?? '', /sent stream failed/);
  assert.equal(record.requests, 0);
});
