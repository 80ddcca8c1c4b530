/**
 * Entry point of the target: reads config and sabotage from the environment and
 * wires the parts together — database, bot, notifier, alerts, scheduler, health
 * monitor, payments and the HTTP side — then stops them in order on SIGTERM/SIGINT.
 * It starts even when PostgreSQL is down: /health answers 503 and the parts that
 * need the schema start once the database is reachable and migrated.
 */
import { pino } from 'pino';
import { Api } from 'grammy';
import { loadConfig, maskDatabaseUrl } from './config.ts';
import type { AppConfig } from './config.ts';
import { createAlertService, type AlertService } from './alerts/alert-service.ts';
import { createBot, RedisRateLimitStore, type HabitBot } from './bot/index.ts';
import { pollerSabotage } from './bot/poller.ts';
import type { Notifier } from './contracts.ts';
import { createDb } from './db/handle.ts';
import { createDbPool, poolStats } from './db/pool.ts';
import { DatabaseUnavailableError, initDatabase } from './db/startup.ts';
import { createDbCheck } from './health/db-check.ts';
import { buildApp } from './http/app.ts';
import { createMetrics } from './metrics/registry.ts';
import { telegramApiMetrics } from './metrics/telegram-api.ts';
import { createHealthMonitor } from './monitor/health-monitor.ts';
import { createTelegramNotifier } from './notifications/index.ts';
import { createCryptoPayClient } from './payments/cryptopay-client.ts';
import { createPaymentService } from './payments/payment-service.ts';
import { registerPaymentWebhooks } from './payments/webhooks.ts';
import { createYooKassaClient } from './payments/yookassa-client.ts';
import { parseSabotage } from './sabotage.ts';
import type { Sabotage } from './sabotage.ts';
import { analyticsRefreshJob, habitRemindersJob, healthCheckJob } from './scheduler/jobs.ts';
import { createScheduler } from './scheduler/scheduler.ts';

/** How long a graceful stop may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 8000;
/** How long to wait for database connections to close during a stop. */
const POOL_END_WAIT_MS = 1000;
/** Pause between rounds of init_db (each round already retries 3× with backoff) while the database stays away. */
const INIT_ROUND_PAUSE_MS = 5000;

function fatal(msg: string, error: unknown): never {
  const fields: Record<string, unknown> = { level: 60, time: Date.now(), msg };
  if (error instanceof Error) {
    fields.error = error.message;
    if ('problems' in error) fields.problems = error.problems;
    if ('details' in error) fields.details = error.details;
  } else {
    fields.error = String(error);
  }
  process.stderr.write(`${JSON.stringify(fields)}\n`);
  process.exit(1);
}

let config: AppConfig;
let sabotage: Sabotage;
try {
  config = loadConfig(process.env);
  sabotage = parseSabotage(process.env);
} catch (error) {
  fatal('cannot start', error);
}

// Secrets never reach the logs: tokens and keys are redacted wherever they appear in a logged object.
const logger = pino({ level: config.logLevel, redact: ['token', 'secretKey', '*.token', '*.secretKey', 'headers.authorization'] });
if (sabotage.size > 0) {
  logger.warn({ sabotage: [...sabotage] }, 'sabotage switches are on: this process is broken on purpose for a test');
}

const pool = createDbPool(config, logger.child({ component: 'db' }));
const db = createDb(pool, sabotage);
const metrics = createMetrics({ poolStats: () => poolStats(pool), processMetrics: true });

// ---- Telegram: bot, notifier ------------------------------------------------
const telegram = config.telegram;
const silentNotifier: Notifier = { send: async () => 'failed' };

const yookassa =
  config.yookassa.shopId && config.yookassa.secretKey
    ? createYooKassaClient({ apiUrl: config.yookassa.apiUrl, shopId: config.yookassa.shopId, secretKey: config.yookassa.secretKey })
    : undefined;
const cryptopay = config.cryptopay.token ? createCryptoPayClient({ apiUrl: config.cryptopay.apiUrl, token: config.cryptopay.token }) : undefined;
const payments = yookassa || cryptopay ? createPaymentService({ db, ...(yookassa ? { yookassa } : {}), ...(cryptopay ? { cryptopay } : {}), logger: logger.child({ component: 'payments' }) }) : undefined;

/** B3: one rate limit shared by every instance through Redis. */
function redisStore(url: string): RedisRateLimitStore {
  const parsed = new URL(url);
  return new RedisRateLimitStore({ host: parsed.hostname, port: Number(parsed.port || 6379), ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}) });
}

const bot: HabitBot | undefined = telegram.token
  ? createBot({
      token: telegram.token,
      apiRoot: telegram.apiRoot,
      db,
      logger,
      config: { adminTelegramIds: telegram.adminIds, throttleLimit: telegram.throttlePerMinute, throttleWindowMs: telegram.throttleWindowMs, staleStateTtlMs: telegram.fsmTtlMs },
      ...(payments ? { payments } : {}),
      // Sabotage throttle-local: each process counts on its own, whatever REDIS_URL says (B3).
      ...(config.redisUrl && !sabotage.has('throttle-local') ? { rateLimitStore: redisStore(config.redisUrl) } : {}),
      polling: { maxConcurrent: telegram.maxConcurrentUpdates, ...pollerSabotage(sabotage) },
      onThrottled: () => metrics.throttled.inc(),
      onAnalyticsRead: (seconds) => metrics.analyticsRead.observe(seconds),
    })
  : undefined;
// Every Bot API call (poller, replies, notifier, getMe) is counted by method and outcome, 429s apart (§7.6).
const telegramApi = telegram.token ? (bot?.bot.api ?? new Api(telegram.token, { apiRoot: telegram.apiRoot })) : undefined;
telegramApi?.config.use(telegramApiMetrics(metrics));
const notifier: Notifier = telegramApi ? createTelegramNotifier({ api: telegramApi, db, logger }) : silentNotifier;

// ---- alerts, scheduler, monitor ----------------------------------------------
const alerts: AlertService = createAlertService({
  db,
  notifier,
  adminChatIds: telegram.adminIds,
  cooldownsMs: {
    db_down: config.alerts.dbDownCooldownMs,
    scheduler_stopped: config.alerts.schedulerCooldownMs,
    bot_unreachable: config.alerts.botCooldownMs,
  },
  flushIntervalMs: config.alerts.flushIntervalMs,
  logger: logger.child({ component: 'alerts' }),
  metrics,
});

const scheduler = createScheduler({
  db,
  jobs: [
    habitRemindersJob({ db, notifier, intervalMs: config.scheduler.remindersIntervalMs }),
    analyticsRefreshJob({ db, intervalMs: config.scheduler.analyticsIntervalMs }),
    healthCheckJob({ checkDb: createDbCheck(pool, 500), ...(bot ? { bot: bot.reachability } : {}), intervalMs: config.scheduler.healthCheckIntervalMs, sabotage }),
  ],
  misfireGraceMs: config.scheduler.misfireGraceMs,
  logger: logger.child({ component: 'scheduler' }),
  metrics,
});

const checkDb = createDbCheck(pool, config.healthDbTimeoutMs, { heavy: sabotage.has('health-slow-check'), unbounded: sabotage.has('health-db-unbounded') });
const monitor = createHealthMonitor({
  checkDb,
  scheduler,
  ...(bot ? { bot: bot.reachability } : {}),
  alerts,
  intervalMs: config.monitorIntervalMs,
  logger: logger.child({ component: 'monitor' }),
});

// ---- HTTP ---------------------------------------------------------------------
const app = buildApp({
  checkDb,
  sabotage,
  logger,
  metrics,
  scheduler,
  ...(bot ? { bot: bot.reachability } : {}),
  control: {
    token: config.controlToken,
    surface: {
      scheduler,
      counters: () => ({
        alerts_in_memory: alerts.memoryQueue().length,
        polling_failures_in_a_row: bot?.pollingStatus()?.consecutiveFailures ?? 0,
        pool_waiting: poolStats(pool).waiting,
      }),
    },
  },
  routes: (server) => {
    // B8: webhook mode instead of long polling.
    if (bot && telegram.mode === 'webhook') server.post('/telegram/webhook', bot.webhookHandler(telegram.webhookSecret ? { secretToken: telegram.webhookSecret } : {}));
    registerPaymentWebhooks(server, {
      // §6: process_webhook has no retry of its own — the provider redelivers. One immediate
      // retry on a fresh connection (a dead pooled one) only, so a DB outage answers 503 at once.
      db: createDb(pool, sabotage, { retryDelaysMs: [0] }),
      alerts,
      ...(config.cryptopay.token ? { cryptoPayToken: config.cryptopay.token } : {}),
      ...(yookassa ? { yookassa, ...(config.yookassa.allowedIps ? { yookassaAllowedIps: config.yookassa.allowedIps } : {}) } : {}),
      logger: logger.child({ component: 'webhooks' }),
      metrics,
    });
  },
});

try {
  await app.listen({ host: config.host, port: config.port });
} catch (error) {
  await pool.end().catch(() => undefined);
  fatal(`cannot listen on ${config.host}:${config.port}`, error);
}

const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : config.port;
logger.info(
  {
    host: config.host,
    port,
    url: `http://${config.host}:${port}`,
    database: maskDatabaseUrl(config.databaseUrl),
    poolMax: config.dbPoolMax + config.dbPoolBurst,
    bot: bot ? telegram.mode : 'off (no BOT_TOKEN)',
    rateLimit: config.redisUrl && !sabotage.has('throttle-local') ? 'redis (shared)' : 'in memory (per process)',
    payments: { yookassa: Boolean(yookassa), cryptopay: Boolean(cryptopay) },
    sabotage: [...sabotage],
  },
  'listening',
);

alerts.start();

let stopping = false;
/** init_db with its retries; while the database stays away, again after a pause. Then the parts that need the schema start. */
async function startWhenDatabaseIsReady(): Promise<void> {
  while (!stopping) {
    try {
      const { attempts, migrations } = await initDatabase(pool, { log: logger.child({ component: 'db' }) });
      logger.info({ attempts, applied: migrations.applied }, 'database ready');
      break;
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error;
      logger.error({ err: error.message, attempts: error.attempts }, 'database unavailable at startup; trying again');
      // The monitor is what notices (and alerts) that the database is down, so it runs from here on.
      monitor.start();
      await new Promise((resolve) => setTimeout(resolve, INIT_ROUND_PAUSE_MS).unref());
    }
  }
  if (stopping) return;
  if (config.scheduler.autostart) await scheduler.start();
  if (bot && telegram.mode === 'webhook' && telegram.webhookUrl) await bot.setWebhook(telegram.webhookUrl, telegram.webhookSecret);
  else bot?.startPolling();
  // Started once the scheduler runs, so the first check does not report a scheduler that is merely starting.
  monitor.start();
}
void startWhenDatabaseIsReady().catch((error: unknown) => logger.error({ err: error }, 'startup failed'));

function shutdown(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  // A database or Telegram that hangs must not hold the process forever.
  setTimeout(() => {
    logger.error({ graceMs: SHUTDOWN_GRACE_MS }, 'graceful stop took too long; exiting');
    process.exit(1);
  }, SHUTDOWN_GRACE_MS).unref();
  void (async () => {
    try {
      await monitor.stop();
      await bot?.stop();
      await scheduler.stop();
      await alerts.stop();
      await app.close();
      // Closing a connection waits for the server's goodbye; a paused or
      // unreachable database never sends it, so do not wait long for it.
      await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, POOL_END_WAIT_MS).unref())]);
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'graceful stop failed');
      process.exit(1);
    }
  })();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
