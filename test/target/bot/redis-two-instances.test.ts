/**
 * B3 as main.ts wires it: two target processes with REDIS_URL pointing at one
 * redis-server share the per-user rate limit, so one user's 35 messages, split
 * across both instances, reach the handlers 30 times in all. Without REDIS_URL
 * each process counts alone and all 35 get through: the control that shows the
 * shared count is what holds the line.
 *
 * Both processes run in webhook mode (two pollers on one bot would take each
 * other's updates, as on real Telegram), and the test posts the updates to them
 * in turn, as a load balancer in front of two instances would. Skipped only
 * outside CI when redis-server is not installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { findRedisServer, skipWithoutRedis, startRedis, type RunningRedis } from '../support/redis-server.ts';
import { freePort } from '../../../cli/stack/free-port.ts';
import type { RunningTelegram } from '../../sims/telegram-helpers.ts';
import { resultOf, startTelegram, TOKEN } from '../../sims/telegram-helpers.ts';
import { createThrowawayPostgres } from '../support/throwaway-postgres.ts';
import { eventually } from './bot-harness.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';
import { startTargetProcess, type TargetProcess } from '../support/target-process.ts';

const SECRET = 'b3_webhook_secret';
const MESSAGES = 35;
const LIMIT = 30;

const redisBinary = findRedisServer();

let pg: ThrowawayPostgres;
let tg: RunningTelegram;
let redis: RunningRedis | undefined;
const targets: TargetProcess[] = [];
before(async () => {
  pg = await createThrowawayPostgres('redis-two-instances');
  tg = await startTelegram({ flood: { enabled: false } });
});
after(async () => {
  await Promise.all(targets.map((target) => target.stop()));
  await redis?.stop();
  await tg?.close();
  await pg?.dispose();
});

/** Two targets on one database, in webhook mode, with `extra` in their environment; both ready. */
async function twoInstances(databaseUrl: string, extra: Record<string, string>): Promise<[TargetProcess, TargetProcess]> {
  const setWebhooks = (): number => tg.control.counters().calls.setWebhook ?? 0;
  const setBefore = setWebhooks();
  const started = await Promise.all(
    [0, 1].map(async () => {
      const port = await freePort();
      const target = await startTargetProcess(
        { DATABASE_URL: databaseUrl, BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.url, BOT_MODE: 'webhook', BOT_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`, BOT_WEBHOOK_SECRET: SECRET, SCHEDULER_AUTOSTART: 'false', ...extra },
        port,
      );
      targets.push(target);
      await target.waitForLog('database ready', (line) => line.msg === 'database ready', 30_000);
      return target;
    }),
  );
  const [a, b] = started;
  assert.ok(a && b);
  // Each sets its webhook once ready; then the test takes over delivery.
  await eventually('both webhooks set', () => (setWebhooks() >= setBefore + 2 ? true : undefined), 10_000);
  resultOf(await tg.api('deleteWebhook'));
  return [a, b];
}

/** `count` /start messages of virtual user n, as Telegram makes them (through the simulator's queue). */
async function updatesOf(n: number, count: number): Promise<Array<{ update_id: number }>> {
  for (let i = 0; i < count; i += 1) tg.control.injectCommand({ user: n, command: 'start' });
  const updates = resultOf<Array<{ update_id: number; message?: { from?: { id: number } } }>>(await tg.api('getUpdates', { timeout: 0, limit: 100 }));
  const own = updates.filter((update) => update.message?.from?.id === tg.control.userId(n));
  assert.equal(own.length, count);
  // Confirm them, so nothing is handed out twice.
  const last = updates.at(-1);
  if (last) resultOf(await tg.api('getUpdates', { offset: last.update_id + 1, timeout: 0 }));
  return own;
}

/** Posts the updates to the instances in turn (each answered before the next is sent); the replies the user got. */
async function deliverSplit(instances: readonly TargetProcess[], updates: ReadonlyArray<{ update_id: number }>, n: number): Promise<number> {
  for (const [index, update] of updates.entries()) {
    const instance = instances[index % instances.length];
    assert.ok(instance);
    const answer = await fetch(`${instance.url}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify(update),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(answer.status, 200);
  }
  return tg.control.sent({ chat_id: tg.control.userId(n), method: 'sendMessage' }).length;
}

async function throttledCount(instance: TargetProcess): Promise<number> {
  const text = await (await fetch(`${instance.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith('bot_updates_throttled_total'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test(
  `B3: one user's ${MESSAGES} messages split across two instances sharing REDIS_URL reach the handlers ${LIMIT} times in all; without Redis all ${MESSAGES}`,
  { skip: skipWithoutRedis(redisBinary) },
  async () => {
    const databaseUrl = await pg.createMigratedDatabase();
    redis = await startRedis(redisBinary ?? 'redis-server');

    const shared = await twoInstances(databaseUrl, { REDIS_URL: `redis://127.0.0.1:${redis.port}` });
    assert.ok(shared.every((target) => target.lines.some((line) => line.msg === 'listening' && line.rateLimit === 'redis (shared)')));
    const replied = await deliverSplit(shared, await updatesOf(41, MESSAGES), 41);
    assert.equal(replied, LIMIT, `${replied} of ${MESSAGES} reached a handler across both instances`);
    const throttled = (await Promise.all(shared.map(throttledCount))).reduce((a, b) => a + b, 0);
    assert.equal(throttled, MESSAGES - LIMIT, 'the rest were dropped by the shared limit');
    await Promise.all(shared.map((target) => target.stop()));

    const apart = await twoInstances(databaseUrl, {});
    assert.equal(await deliverSplit(apart, await updatesOf(42, MESSAGES), 42), MESSAGES, 'each instance counts alone: nobody is throttled');
    await Promise.all(apart.map((target) => target.stop()));
  },
);
