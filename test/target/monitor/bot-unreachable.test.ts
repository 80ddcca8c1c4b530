/**
 * §4 "Bot unreachable" (C4): the health monitor, with the real alert service
 * (real PostgreSQL outbox) and the real BotReachability against the Telegram
 * simulator, raises bot_unreachable (critical) when getMe fails or takes
 * longer than the monitor's 1 s bound, repeats it only after the 5 min
 * cooldown, and raises bot_recovered (info) once when getMe answers again.
 * The Notifier is a recording stand-in that delivers to the admin chat.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Api } from 'grammy';
import type { Notifier, SendOutcome } from '../../../target/contracts.ts';
import { createAlertService } from '../../../target/alerts/alert-service.ts';
import { createBotReachability } from '../../../target/bot/reachability.ts';
import { createDbCheck } from '../../../target/health/db-check.ts';
import { createHealthMonitor } from '../../../target/monitor/health-monitor.ts';
import { startTelegram, TOKEN } from '../../sims/telegram-helpers.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let pg: ThrowawayPostgres;
before(async () => {
  pg = await createThrowawayPostgres('bot-unreachable');
});
after(async () => {
  await closeTestDbs();
  await pg.dispose();
});

function recordingNotifier(): Notifier & { sent: string[] } {
  const sent: string[] = [];
  return { sent, send: (_chatId: number, text: string): Promise<SendOutcome> => (sent.push(text), Promise.resolve('sent')) };
}

const DOWN = '[CRITICAL] Bot cannot reach Telegram (getMe fails)';
const UP = '[INFO] Bot reaches Telegram again';

test('§4 bot unreachable: critical bot_unreachable when getMe hangs past 1 s, once per 5 min cooldown, info bot_recovered when it answers again', async () => {
  const { db, pool } = openTestDb(await pg.createMigratedDatabase());
  const tg = await startTelegram();
  let clock = 1_000_000;
  const notifier = recordingNotifier();
  const alerts = createAlertService({ db, notifier, adminChatIds: [42], now: () => clock });
  // The reachability bound is raised above the monitor's 1 s: the monitor's own bound must decide.
  const bot = createBotReachability(new Api(TOKEN, { apiRoot: tg.url }), { timeoutMs: 10_000, cacheMs: 0 });
  const monitor = createHealthMonitor({ checkDb: createDbCheck(pool, 500), bot, alerts, intervalMs: 60_000 });
  const count = (prefix: string): number => notifier.sent.filter((text) => text.startsWith(prefix)).length;
  try {
    const healthy = await monitor.checkNow();
    assert.equal(healthy.bot?.ok, true);
    assert.equal(notifier.sent.length, 0, 'nothing to say while healthy');

    tg.control.hang(30_000);
    const started = Date.now();
    const down = await monitor.checkNow();
    const took = Date.now() - started;
    assert.equal(down.bot?.ok, false);
    assert.equal(down.db?.ok, true, 'only the bot is down');
    assert.match(down.bot?.error ?? '', /getMe took longer than 1000 ms/);
    assert.ok(took >= 950 && took < 3000, `the check gave up at the 1 s bound (${took} ms)`);
    assert.equal(count(DOWN), 1, 'critical alert raised');
    assert.match(notifier.sent.find((t) => t.startsWith(DOWN)) ?? '', /event: bot_unreachable/);

    clock += 60_000;
    await monitor.checkNow();
    clock += 3 * 60_000;
    await monitor.checkNow();
    assert.equal(count(DOWN), 1, 'within the 5 min cooldown: suppressed');
    clock += 60_000 + 1;
    await monitor.checkNow();
    assert.equal(count(DOWN), 2, 'after the cooldown: raised again');

    tg.control.clearHang();
    // The getMe held during the hang now completes, late (minutes of latency): let that stale answer go first.
    await bot.check();
    clock += 1000;
    const up = await monitor.checkNow();
    assert.equal(up.bot?.ok, true);
    assert.equal(count(UP), 1, 'recovery alert raised');
    assert.match(notifier.sent.find((t) => t.startsWith(UP)) ?? '', /event: bot_recovered[\s\S]*"downForMs":\d+/);
    await monitor.checkNow();
    assert.equal(count(UP), 1, 'recovery is raised once, on the transition');
    assert.equal(count(DOWN), 2);
  } finally {
    tg.control.clearHang();
    await monitor.stop();
    await tg.close();
  }
});

test('§4 bot unreachable: a getMe error (502) or refused connection is bot_unreachable too', async () => {
  const { db, pool } = openTestDb(await pg.createMigratedDatabase());
  const tg = await startTelegram();
  const notifier = recordingNotifier();
  const alerts = createAlertService({ db, notifier, adminChatIds: [42], cooldownsMs: { bot_unreachable: 0 } });
  const bot = createBotReachability(new Api(TOKEN, { apiRoot: tg.url }), { timeoutMs: 500, cacheMs: 0 });
  const monitor = createHealthMonitor({ checkDb: createDbCheck(pool, 500), bot, alerts, intervalMs: 60_000 });
  try {
    tg.control.forceError({ error_code: 502, methods: ['getMe'] });
    const bad = await monitor.checkNow();
    assert.equal(bad.bot?.ok, false);
    assert.match(bad.bot?.error ?? '', /getMe failed: 502/);
    assert.equal(notifier.sent.filter((t) => t.startsWith(DOWN)).length, 1);
    assert.equal((await monitor.checkNow()).bot?.ok, true);
    assert.equal(notifier.sent.filter((t) => t.startsWith(UP)).length, 1);

    await tg.close();
    const refused = await monitor.checkNow();
    assert.equal(refused.bot?.ok, false);
    assert.match(refused.bot?.error ?? '', /^getMe failed/);
    assert.equal(notifier.sent.filter((t) => t.startsWith(DOWN)).length, 2);
  } finally {
    await monitor.stop();
    await tg.close().catch(() => undefined);
  }
});
