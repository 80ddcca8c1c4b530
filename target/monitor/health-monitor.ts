/**
 * The health monitor: a plain interval in the main process that checks the
 * database, the scheduler and the bot's reach to Telegram, and raises the
 * admin alerts of seed §4 when a component goes down or comes back.
 *
 * Why not the scheduler's health_check job, as the seed's §4 says: C3 stops
 * the scheduler, and a stopped scheduler runs no jobs, so the job could never
 * report that the scheduler stopped. The monitor does not depend on the
 * scheduler, so it keeps running through C1, C3 and C4. The health_check job
 * still exists (L7) and logs its findings to the job log.
 */
import type { Alerts, AlertEvent, AlertRequest, BotReachability, SchedulerControl } from '../contracts.ts';
import type { DbCheck } from '../health/db-check.ts';
import { ALERT_SEVERITY } from '../alerts/alert-service.ts';

export type ComponentName = 'db' | 'scheduler' | 'bot';

export interface ComponentState {
  ok: boolean;
  /** When the component's ok/not-ok last changed (or was first seen). */
  since: Date;
  checkedAt: Date;
  latencyMs?: number;
  error?: string;
}

/** The latest state of each component the monitor watches. */
export type MonitorSnapshot = Partial<Record<ComponentName, ComponentState>>;

export interface MonitorLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface HealthMonitorOptions {
  /** A bounded database check (health/db-check.ts; the seed wants < 500 ms). */
  checkDb: DbCheck;
  scheduler?: SchedulerControl;
  bot?: BotReachability;
  alerts: Alerts;
  /** Time between checks (default 30 s; at least 50 ms). */
  intervalMs?: number;
  /** A bot check slower than this counts as a failure (default 1000 ms, L7). */
  botTimeoutMs?: number;
  logger?: MonitorLogger;
}

export interface HealthMonitor {
  /** Checks every component once now and raises what changed; the states after. */
  checkNow(): Promise<MonitorSnapshot>;
  /** The states of the latest check; empty before the first. */
  snapshot(): MonitorSnapshot;
  /** Starts the interval (and runs a first check at once). Safe to call twice. */
  start(): void;
  /** Stops the interval and waits for a check in progress. Safe to call twice. */
  stop(): Promise<void>;
}

interface Watched {
  name: ComponentName;
  down: { event: AlertEvent; text: string };
  up: { event: AlertEvent; text: string };
  check(): Promise<{ ok: boolean; latencyMs?: number; error?: string }>;
}

const SILENT: MonitorLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const logger = options.logger ?? SILENT;
  const intervalMs = Math.max(50, options.intervalMs ?? 30_000);
  const botTimeoutMs = options.botTimeoutMs ?? 1000;
  const watched: Watched[] = [
    {
      name: 'db',
      down: { event: 'db_down', text: 'Database is unavailable' },
      up: { event: 'db_recovered', text: 'DB recovered' },
      check: () => options.checkDb(),
    },
  ];
  const scheduler = options.scheduler;
  if (scheduler) {
    watched.push({
      name: 'scheduler',
      down: { event: 'scheduler_stopped', text: 'Scheduler is not running: no scheduled jobs run' },
      up: { event: 'scheduler_recovered', text: 'Scheduler running again' },
      check: () => Promise.resolve(scheduler.isRunning() ? { ok: true } : { ok: false, error: 'scheduler stopped' }),
    });
  }
  const bot = options.bot;
  if (bot) {
    watched.push({
      name: 'bot',
      down: { event: 'bot_unreachable', text: 'Bot cannot reach Telegram (getMe fails)' },
      up: { event: 'bot_recovered', text: 'Bot reaches Telegram again' },
      check: () => boundedBotCheck(bot, botTimeoutMs),
    });
  }

  let states: MonitorSnapshot = {};
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<MonitorSnapshot> | null = null;

  const raise = async (alert: AlertRequest): Promise<void> => {
    try {
      await options.alerts.raise(alert);
    } catch (error) {
      logger.error({ err: error, event: alert.event }, 'raising an admin alert failed');
    }
  };

  const checkOnce = async (): Promise<MonitorSnapshot> => {
    const results = await Promise.all(
      watched.map(async (component) => {
        try {
          return await component.check();
        } catch (error) {
          return { ok: false, error: error instanceof Error ? error.message : String(error) };
        }
      }),
    );
    const next: MonitorSnapshot = {};
    const alerts: AlertRequest[] = [];
    const checkedAt = new Date();
    watched.forEach((component, index) => {
      const result = results[index] ?? { ok: false, error: 'no result' };
      const previous = states[component.name];
      const changed = previous === undefined || previous.ok !== result.ok;
      next[component.name] = { ...result, checkedAt, since: changed ? checkedAt : previous.since };
      const details: Record<string, unknown> = { component: component.name };
      if (result.error !== undefined) details.error = result.error;
      if (result.latencyMs !== undefined) details.latencyMs = result.latencyMs;
      if (!result.ok) {
        // Raised on every check while down: the cooldown decides what reaches the admins.
        alerts.push({ event: component.down.event, severity: ALERT_SEVERITY[component.down.event], source: 'health_monitor', text: component.down.text, details });
        if (changed) logger.warn({ component: component.name, error: result.error }, 'component down');
      } else if (previous !== undefined && !previous.ok) {
        const downForMs = checkedAt.getTime() - previous.since.getTime();
        alerts.push({ event: component.up.event, severity: ALERT_SEVERITY[component.up.event], source: 'health_monitor', text: component.up.text, details: { ...details, downForMs } });
        logger.info({ component: component.name, downForMs }, 'component recovered');
      }
    });
    states = next;
    for (const alert of alerts) await raise(alert);
    return next;
  };

  const checkNow = (): Promise<MonitorSnapshot> => {
    running ??= checkOnce().finally(() => {
      running = null;
    });
    return running;
  };

  const tick = (): void => {
    checkNow().catch((error: unknown) => logger.error({ err: error }, 'health monitor check failed'));
  };

  return {
    checkNow,
    snapshot: () => states,
    start() {
      if (timer) return;
      timer = setInterval(tick, intervalMs);
      timer.unref();
      tick();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
}

async function boundedBotCheck(bot: BotReachability, timeoutMs: number): Promise<{ ok: boolean; latencyMs?: number; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: boolean; error: string; latencyMs: number }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `getMe took longer than ${timeoutMs} ms`, latencyMs: timeoutMs }), timeoutMs);
  });
  try {
    const result = await Promise.race([bot.check(), timeout]);
    if (result.ok && result.latencyMs > timeoutMs) return { ok: false, latencyMs: result.latencyMs, error: `getMe took ${result.latencyMs} ms (limit ${timeoutMs} ms)` };
    return result;
  } finally {
    clearTimeout(timer);
  }
}
