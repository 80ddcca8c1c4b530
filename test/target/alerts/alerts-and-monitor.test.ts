/**
 * Admin alerts and the health monitor against real PostgreSQL. The Notifier
 * is a recording stand-in: the real one (target/notifications/) is built
 * elsewhere and is only reached through its interface here.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Notifier, SendOutcome, SchedulerControl } from '../../../target/contracts.ts';
import { createAlertService } from '../../../target/alerts/alert-service.ts';
import { createDbCheck } from '../../../target/health/db-check.ts';
import { createHealthMonitor } from '../../../target/monitor/health-monitor.ts';
import { listUndeliveredAlerts } from '../../../target/repos/alert-outbox.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb, withSabotage } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let pg: ThrowawayPostgres;
before(async () => {
  pg = await createThrowawayPostgres('alerts');
});
after(async () => {
  await closeTestDbs();
  await pg.dispose();
});

function recordingNotifier(): Notifier & { sent: string[]; outcome: SendOutcome } {
  const notifier = {
    sent: [] as string[],
    outcome: 'sent' as SendOutcome,
    send(_chatId: number, text: string): Promise<SendOutcome> {
      if (notifier.outcome === 'sent') notifier.sent.push(text);
      return Promise.resolve(notifier.outcome);
    },
  };
  return notifier;
}

const DB_DOWN = { event: 'db_down', severity: 'critical', source: 'health_monitor', text: 'Database is unavailable' } as const;

test('cooldowns per event; alert-cooldown sabotage sends every raise', async () => {
  const { db } = openTestDb(await pg.createMigratedDatabase());
  let clock = 1_000_000;
  const notifier = recordingNotifier();
  const alerts = createAlertService({ db, notifier, adminChatIds: [1], now: () => clock });
  assert.equal(await alerts.raise(DB_DOWN), 'sent');
  clock += 60_000;
  assert.equal(await alerts.raise(DB_DOWN), 'suppressed', 'within 5 min');
  assert.equal(await alerts.raise({ ...DB_DOWN, event: 'db_recovered', severity: 'info', text: 'DB recovered' }), 'sent', 'info has no cooldown');
  assert.equal(await alerts.raise({ ...DB_DOWN, event: 'db_recovered', severity: 'info', text: 'DB recovered' }), 'sent');
  clock += 4 * 60_000 + 1;
  assert.equal(await alerts.raise(DB_DOWN), 'sent', 'after 5 min');
  assert.equal(notifier.sent.length, 4);
  assert.match(notifier.sent[0] ?? '', /^\[CRITICAL\] Database is unavailable/);

  const sabotaged = createAlertService({ db: withSabotage(db, 'alert-cooldown'), notifier, adminChatIds: [1], now: () => clock });
  assert.equal(await sabotaged.raise(DB_DOWN), 'sent');
  assert.equal(await sabotaged.raise(DB_DOWN), 'sent');
});

test('Notifier failing: alert kept (outbox with DB up, memory with DB down) and delivered when it works again', async () => {
  const url = await pg.createMigratedDatabase();
  const { db } = openTestDb(url);
  const notifier = recordingNotifier();
  const alerts = createAlertService({ db, notifier, adminChatIds: [1, 2], flushIntervalMs: 50 });
  notifier.outcome = 'failed';
  assert.equal(await alerts.raise({ ...DB_DOWN, event: 'bot_unreachable', text: 'Bot cannot reach Telegram' }), 'queued');
  assert.equal((await listUndeliveredAlerts(db)).length, 1, 'kept in the outbox');

  // A database that cannot be reached: the outbox is unavailable too.
  const down = openTestDb('postgres://postgres@127.0.0.1:1/none', { connectTimeoutMs: 200 }).db;
  const downAlerts = createAlertService({ db: down, notifier, adminChatIds: [1], flushIntervalMs: 50 });
  assert.equal(await downAlerts.raise(DB_DOWN), 'queued');
  assert.equal(downAlerts.memoryQueue().length, 1, 'kept in memory');

  alerts.start();
  downAlerts.start();
  notifier.outcome = 'sent';
  const until = Date.now() + 5000;
  while (Date.now() < until && ((await listUndeliveredAlerts(db)).length > 0 || downAlerts.memoryQueue().length > 0)) await new Promise((r) => setTimeout(r, 50));
  await alerts.stop();
  await downAlerts.stop();
  assert.equal((await listUndeliveredAlerts(db)).length, 0);
  assert.equal(downAlerts.memoryQueue().length, 0);
  assert.equal(notifier.sent.filter((t) => t.includes('Bot cannot reach Telegram')).length, 2, 'once per admin chat');
  assert.equal(notifier.sent.filter((t) => t.includes('Database is unavailable')).length, 1);
});

test('monitor: DB down critical and DB recovered info on transitions; scheduler stopped warning', async () => {
  const url = await pg.createMigratedDatabase();
  const { db, pool } = openTestDb(url, { connectTimeoutMs: 300 });
  const notifier = recordingNotifier();
  const alerts = createAlertService({ db, notifier, adminChatIds: [1] });
  let running = true;
  const scheduler: SchedulerControl = { start: async () => undefined, stop: async () => undefined, isRunning: () => running };
  const monitor = createHealthMonitor({ checkDb: createDbCheck(pool, 500), scheduler, alerts, intervalMs: 60_000 });
  assert.equal((await monitor.checkNow()).db?.ok, true);
  assert.equal(notifier.sent.length, 0, 'nothing to say while healthy');

  const dbName = new URL(url).pathname.slice(1);
  await pg.admin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS false`);
  await pg.admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [dbName]);
  running = false;
  const down = await monitor.checkNow();
  assert.equal(down.db?.ok, false);
  assert.equal(down.scheduler?.ok, false);
  await monitor.checkNow();
  assert.equal(notifier.sent.filter((t) => t.startsWith('[CRITICAL] Database is unavailable')).length, 1, 'once per cooldown');
  assert.equal(notifier.sent.filter((t) => t.startsWith('[WARNING] Scheduler is not running')).length, 1);

  await pg.admin(`ALTER DATABASE ${dbName} WITH ALLOW_CONNECTIONS true`);
  running = true;
  const up = await monitor.checkNow();
  assert.equal(up.db?.ok, true);
  assert.equal(notifier.sent.filter((t) => t.startsWith('[INFO] DB recovered')).length, 1);
  assert.equal(notifier.sent.filter((t) => t.startsWith('[INFO] Scheduler running again')).length, 1);
  await monitor.stop();
});
