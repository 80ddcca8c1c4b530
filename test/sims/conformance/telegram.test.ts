/**
 * Conformance: telegraf, a published Telegram bot framework, runs unchanged
 * against the simulator over verified HTTPS; only its apiRoot (and an agent
 * that trusts the stack's CA) differ from production. getMe, sendMessage,
 * long polling with offsets through bot.launch(), callback answers, and the
 * 400/403/429 error shapes as telegraf reports them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { Markup, Telegraf, TelegramError } from 'telegraf';
import { buildTelegramSim } from '../../../target/sims/telegram/sim.ts';
import type { TelegramSim } from '../../../target/sims/telegram/sim.ts';
import { waitFor } from '../helpers.ts';
import type { TrustedTls } from './trusted-tls.ts';
import { makeTrustedTls } from './trusted-tls.ts';

const TOKEN = '7000000042:AAHconformanceTokenForTelegrafTests01';

let trusted: TrustedTls;
let sim: TelegramSim;
let apiRoot = '';
let agent: https.Agent;

before(async () => {
  trusted = await makeTrustedTls();
  agent = new https.Agent({ ca: trusted.ca, keepAlive: true });
  sim = buildTelegramSim({ token: TOKEN, tls: trusted.tls, maxLongPollSeconds: 2 });
  const url = await sim.app.listen({ host: '127.0.0.1', port: 0 });
  apiRoot = url.replace('http://', 'https://');
});
after(async () => {
  await sim.app.close();
  agent.destroy();
  await trusted.dispose();
});

function newBot(): Telegraf {
  return new Telegraf(TOKEN, { telegram: { apiRoot, agent } });
}

async function telegramError(call: Promise<unknown>): Promise<TelegramError> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof TelegramError, `a TelegramError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call was expected to fail');
}

test('getMe and sendMessage with an inline keyboard', async () => {
  const bot = newBot();
  const me = await bot.telegram.getMe();
  assert.equal(me.id, 7000000042);
  assert.equal(me.is_bot, true);
  assert.equal(typeof me.username, 'string');
  const chat = sim.control.userId(1);
  const message = await bot.telegram.sendMessage(chat, 'Pick one', Markup.inlineKeyboard([Markup.button.callback('Yes', 'yes')]));
  assert.equal(message.chat.id, chat);
  assert.equal(message.text, 'Pick one');
  assert.deepEqual(message.reply_markup, { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] });
});

test('bot.launch() long-polls with offsets: every update handled once, commands and callback answers', async () => {
  sim.control.reset();
  // This test is about polling; the flood limit has its own below.
  sim.control.setFlood({ enabled: false });
  const bot = newBot();
  const handled: number[] = [];
  bot.use(async (ctx, next) => {
    handled.push(ctx.update.update_id);
    await next();
  });
  bot.command('start', (ctx) => ctx.reply('Welcome!', Markup.inlineKeyboard([Markup.button.callback('Done', 'done')])));
  bot.action('done', (ctx) => ctx.answerCbQuery('Marked'));
  bot.on('text', (ctx) => ctx.reply(`echo: ${ctx.message.text}`));
  const stopped = bot.launch({ dropPendingUpdates: false });
  try {
    const chat = sim.control.userId(2);
    sim.control.injectCommand({ user: 2, command: 'start' });
    assert.ok(await waitFor(() => sim.control.sent({ chat_id: String(chat), method: 'sendMessage' }).some((r) => r.text === 'Welcome!'), 10_000), 'the /start reply');
    const press = sim.control.injectCallbackQuery({ user: 2, data: 'done' });
    assert.ok(await waitFor(() => sim.control.sent({ method: 'answerCallbackQuery' }).some((r) => r.ok), 10_000), 'the callback was answered');
    for (let i = 0; i < 3; i += 1) sim.control.injectMessage({ user: 2, text: `m${i}` });
    assert.ok(await waitFor(() => sim.control.sent({ chat_id: String(chat), text_contains: 'echo: m2' }).length === 1, 10_000));
    assert.equal(new Set(handled).size, handled.length, 'no update handled twice');
    assert.equal(handled.length, 5);
    assert.ok(press.update_id !== null && handled.includes(press.update_id));
    assert.ok(await waitFor(() => sim.control.status().pending_updates === 0, 10_000), 'handed-out updates confirmed by the next offset');
    // The query was answered once; a second answer is Telegram's 400.
    const callbackId = sim.control.sent({ method: 'answerCallbackQuery' })[0]?.callback_query_id ?? '';
    const again = await telegramError(bot.telegram.answerCbQuery(callbackId));
    assert.equal(again.code, 400);
    assert.match(again.description, /^Bad Request: query is too old/);
  } finally {
    bot.stop('test over');
    await stopped.catch(() => undefined);
    sim.control.reset();
  }
});

test('error shapes: 400 chat not found, 403 blocked, 429 with parameters.retry_after', async () => {
  sim.control.reset();
  const bot = newBot();
  const missing = await telegramError(bot.telegram.sendMessage(42, 'hello'));
  assert.equal(missing.code, 400);
  assert.equal(missing.description, 'Bad Request: chat not found');
  assert.equal(missing.response.error_code, 400);

  sim.control.blockUser(3);
  const blocked = await telegramError(bot.telegram.sendMessage(sim.control.userId(3), 'hello'));
  assert.equal(blocked.code, 403);
  assert.equal(blocked.description, 'Forbidden: bot was blocked by the user');

  sim.control.setFlood({ enabled: true, private_per_second: 1, private_burst: 1 });
  const chat = sim.control.userId(4);
  let limited: TelegramError | undefined;
  for (let i = 0; i < 5 && !limited; i += 1) {
    try {
      await bot.telegram.sendMessage(chat, `burst ${i}`);
    } catch (error) {
      if (error instanceof TelegramError) limited = error;
      else throw error;
    }
  }
  assert.ok(limited, 'the flood limit answered 429');
  assert.equal(limited.code, 429);
  assert.match(limited.description, /^Too Many Requests: retry after \d+$/);
  assert.ok((limited.parameters?.retry_after ?? 0) >= 1);
  sim.control.reset();
});
