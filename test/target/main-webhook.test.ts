/**
 * B8 as main.ts wires it: the target process with BOT_MODE=webhook against the
 * Telegram simulator registers its webhook (setWebhook with the secret) instead
 * of long polling, answers the updates posted to POST /telegram/webhook with
 * the right X-Telegram-Bot-Api-Secret-Token, and refuses the others. The bot's
 * handler on its own is tested in test/target/bot/polling.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../cli/stack/free-port.ts';
import { TEXT } from '../../target/bot/context.ts';
import type { RunningTelegram } from '../sims/telegram-helpers.ts';
import { startTelegram, TOKEN } from '../sims/telegram-helpers.ts';
import { eventually } from './bot/bot-harness.ts';
import { createThrowawayPostgres } from './support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from './support/throwaway-postgres.ts';
import { startTargetProcess, type TargetProcess } from './support/target-process.ts';

const SECRET = 'b8_webhook_secret';

let pg: ThrowawayPostgres;
let tg: RunningTelegram;
let target: TargetProcess | undefined;
before(async () => {
  pg = await createThrowawayPostgres('main-webhook');
  tg = await startTelegram({ flood: { enabled: false } });
});
after(async () => {
  await target?.stop();
  await tg?.close();
  await pg?.dispose();
});

/** A /start from virtual user n, as Telegram would post it. */
function startUpdate(updateId: number, n: number): object {
  const from = tg.control.user(n);
  return {
    update_id: updateId,
    message: { message_id: 1, date: Math.floor(Date.now() / 1000), from, chat: { id: from.id, type: 'private', first_name: from.first_name }, text: '/start', entities: [{ type: 'bot_command', offset: 0, length: 6 }] },
  };
}

function post(update: object, secret?: string): Promise<Response> {
  return fetch(`${target?.url}/telegram/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret !== undefined ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
    body: JSON.stringify(update),
    signal: AbortSignal.timeout(10_000),
  });
}

test('B8: BOT_MODE=webhook sets the webhook on Telegram, answers updates carrying the secret, refuses the rest, and never polls', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/telegram/webhook`;
  target = await startTargetProcess(
    { DATABASE_URL: await pg.createMigratedDatabase(), BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.url, BOT_MODE: 'webhook', BOT_WEBHOOK_URL: url, BOT_WEBHOOK_SECRET: SECRET, SCHEDULER_AUTOSTART: 'false' },
    port,
  );
  const info = await eventually('the webhook set on Telegram', () => (tg.control.webhookInfo().url === url ? tg.control.webhookInfo() : undefined), 20_000);
  assert.equal(info.url, url);
  assert.equal(tg.control.status().webhook.url, url);

  // Telegram delivers an update itself, with the secret it was given.
  tg.control.injectCommand({ user: 1, command: 'start' });
  const delivered = await eventually('the reply to a delivered update', () => tg.control.sent({ chat_id: tg.control.userId(1), method: 'sendMessage' })[0], 10_000);
  assert.equal(delivered.text, TEXT.welcome);

  // Posted directly: the right secret is answered, a wrong or missing one refused.
  assert.equal((await post(startUpdate(800_001, 2), SECRET)).status, 200);
  assert.equal(tg.control.sent({ chat_id: tg.control.userId(2), method: 'sendMessage' })[0]?.text, TEXT.welcome);
  assert.equal((await post(startUpdate(800_002, 3), 'wrong_secret')).status, 401);
  assert.equal((await post(startUpdate(800_003, 3))).status, 401);
  assert.deepEqual(tg.control.sent({ chat_id: tg.control.userId(3) }), [], 'a refused update reaches no handler');

  assert.equal(tg.control.counters().calls.getUpdates ?? 0, 0, 'webhook mode does not poll');
  assert.equal(await target.stop(), 0);
});
