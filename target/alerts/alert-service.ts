/**
 * Admin alerts (seed §4, C1, C3, C4, C8): severities and per-event cooldowns,
 * delivery to the admin chats through the Notifier, and no alert lost while
 * Telegram is down.
 *
 * An alert is first stored in the outbox (alert_outbox) and then sent; one
 * that could not be sent stays there and a background flusher retries it.
 * While the database itself is down the outbox cannot be written (that is
 * exactly when the "DB down" alert is raised), so such alerts are kept in a
 * bounded in-memory queue instead and flushed the same way. Sabotage
 * `alert-drop` keeps neither: an alert that cannot be sent at once is lost.
 */
import type { Alerts, AlertEvent, AlertRequest, AlertSeverity, Notifier } from '../contracts.ts';
import type { Db } from '../db/handle.ts';
import type { Metrics } from '../metrics/registry.ts';
import { enqueueAlert, listUndeliveredAlerts, markAlertDelivered, recordAlertAttempt } from '../repos/alert-outbox.ts';

/** What a raise did: delivered now, kept for later delivery, or dropped by the cooldown. */
export type RaiseOutcome = 'sent' | 'queued' | 'suppressed';

/** Cooldowns of §4, per event; 0 means every raise is sent. */
export const DEFAULT_ALERT_COOLDOWNS_MS: Readonly<Record<AlertEvent, number>> = {
  db_down: 5 * 60_000,
  db_recovered: 0,
  scheduler_stopped: 15 * 60_000,
  scheduler_recovered: 0,
  bot_unreachable: 5 * 60_000,
  bot_recovered: 0,
  webhook_verify_failed: 0,
};

/** The severity §4 gives each event; the monitor and the webhooks use these. */
export const ALERT_SEVERITY: Readonly<Record<AlertEvent, AlertSeverity>> = {
  db_down: 'critical',
  db_recovered: 'info',
  scheduler_stopped: 'warning',
  scheduler_recovered: 'info',
  bot_unreachable: 'critical',
  bot_recovered: 'info',
  webhook_verify_failed: 'critical',
};

/** The pino-like logger the service writes to; pino satisfies it. */
export interface AlertLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface AlertServiceOptions {
  db: Db;
  notifier: Notifier;
  /** Telegram chat ids of the admins; every alert goes to each. */
  adminChatIds: readonly number[];
  /** Per-event overrides of DEFAULT_ALERT_COOLDOWNS_MS (scenarios shorten them). */
  cooldownsMs?: Partial<Record<AlertEvent, number>>;
  /** How often the flusher retries undelivered alerts (default 15 s; at least 50 ms). */
  flushIntervalMs?: number;
  /** Alerts kept in memory while the database is down (default 200); the oldest are dropped beyond it. */
  memoryQueueLimit?: number;
  /** Outbox rows retried per flush (default 50). */
  flushBatch?: number;
  logger?: AlertLogger;
  metrics?: Metrics;
  /** Clock, for tests. */
  now?: () => number;
}

/** An alert held in memory because the outbox could not be written. */
export interface QueuedAlert {
  alert: AlertRequest;
  raisedAt: Date;
}

export interface AlertService extends Alerts {
  /** Retries every undelivered alert once (memory queue first, then the outbox); the count delivered. */
  flush(): Promise<number>;
  /** Starts the background flusher. Safe to call twice. */
  start(): void;
  /** Stops the flusher and waits for a flush in progress. Safe to call twice. */
  stop(): Promise<void>;
  /** Alerts waiting in memory (the database was down when they were raised). */
  memoryQueue(): readonly QueuedAlert[];
}

const SILENT: AlertLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The message an admin reads. */
export function formatAlert(alert: AlertRequest, raisedAt: Date): string {
  const details = alert.details && Object.keys(alert.details).length > 0 ? `\n${JSON.stringify(alert.details)}` : '';
  return `[${alert.severity.toUpperCase()}] ${alert.text}\nsource: ${alert.source} · event: ${alert.event} · at ${raisedAt.toISOString()}${details}`;
}

export function createAlertService(options: AlertServiceOptions): AlertService {
  const { db, notifier } = options;
  const logger = options.logger ?? SILENT;
  const now = options.now ?? Date.now;
  const cooldowns: Record<AlertEvent, number> = { ...DEFAULT_ALERT_COOLDOWNS_MS, ...options.cooldownsMs };
  const flushIntervalMs = Math.max(50, options.flushIntervalMs ?? 15_000);
  const memoryLimit = Math.max(1, options.memoryQueueLimit ?? 200);
  const flushBatch = options.flushBatch ?? 50;
  const noCooldown = db.sabotage.has('alert-cooldown');
  const dropUndelivered = db.sabotage.has('alert-drop');

  /** When each event last got past its cooldown (sent or queued). */
  const lastRaised = new Map<AlertEvent, number>();
  const memory: QueuedAlert[] = [];
  /** Outbox rows raise() is delivering right now; the flusher leaves them alone. */
  const inFlight = new Set<number>();
  let timer: NodeJS.Timeout | null = null;
  let flushing: Promise<number> | null = null;

  const count = (alert: AlertRequest, outcome: RaiseOutcome): void => {
    options.metrics?.alertsRaised.inc({ event: alert.event, severity: alert.severity, outcome });
  };

  /** Sends to every admin chat; null when all took it, else the first failure. */
  const deliver = async (alert: AlertRequest, raisedAt: Date): Promise<string | null> => {
    if (options.adminChatIds.length === 0) return 'no admin chat ids configured';
    const text = formatAlert(alert, raisedAt);
    for (const chatId of options.adminChatIds) {
      let outcome: string;
      try {
        outcome = await notifier.send(chatId, text, { context: `alert:${alert.event}` });
      } catch (error) {
        outcome = error instanceof Error ? error.message : String(error);
      }
      // A blocked admin chat cannot be fixed by retrying; the other admins still got it.
      if (outcome !== 'sent' && outcome !== 'blocked') return `chat ${chatId}: ${outcome}`;
    }
    return null;
  };

  const keepInMemory = (alert: AlertRequest, raisedAt: Date): void => {
    memory.push({ alert, raisedAt });
    while (memory.length > memoryLimit) {
      const dropped = memory.shift();
      logger.error({ event: dropped?.alert.event, limit: memoryLimit }, 'in-memory alert queue full: oldest alert dropped');
    }
  };

  /** Sabotage alert-drop: one attempt, no outbox, no memory queue; an alert Telegram cannot take is lost. */
  const sendOrDrop = async (alert: AlertRequest, raisedAt: Date): Promise<RaiseOutcome> => {
    const failure = await deliver(alert, raisedAt);
    if (failure === null) {
      count(alert, 'sent');
      logger.info({ event: alert.event, severity: alert.severity, source: alert.source }, 'admin alert sent');
      return 'sent';
    }
    options.metrics?.alertsRaised.inc({ event: alert.event, severity: alert.severity, outcome: 'dropped' });
    logger.warn({ event: alert.event, severity: alert.severity, error: failure }, 'admin alert not delivered; dropped (sabotage alert-drop)');
    // The caller is told it was kept: the planted bug is an alert that looks queued and is gone.
    return 'queued';
  };

  const raise = async (alert: AlertRequest): Promise<RaiseOutcome> => {
    const at = now();
    const cooldown = cooldowns[alert.event];
    const last = lastRaised.get(alert.event);
    if (!noCooldown && cooldown > 0 && last !== undefined && at - last < cooldown) {
      count(alert, 'suppressed');
      logger.info({ event: alert.event, cooldownMs: cooldown, sinceLastMs: at - last }, 'admin alert suppressed by its cooldown');
      return 'suppressed';
    }
    lastRaised.set(alert.event, at);
    const raisedAt = new Date(at);

    if (dropUndelivered) return sendOrDrop(alert, raisedAt);

    let stored: number | null = null;
    try {
      stored = (await enqueueAlert(db, { eventKey: alert.event, severity: alert.severity, source: alert.source, text: alert.text, details: alert.details })).id;
    } catch (error) {
      logger.warn({ event: alert.event, err: error }, 'alert outbox unavailable; the alert is kept in memory if it cannot be sent now');
    }

    if (stored !== null) inFlight.add(stored);
    const failure = await deliver(alert, raisedAt);
    if (failure === null) {
      if (stored !== null) await markAlertDelivered(db, stored).catch((error: unknown) => logger.warn({ err: error, alertId: stored }, 'alert sent but not marked delivered'));
      if (stored !== null) inFlight.delete(stored);
      count(alert, 'sent');
      logger.info({ event: alert.event, severity: alert.severity, source: alert.source }, 'admin alert sent');
      return 'sent';
    }
    if (stored !== null) {
      await recordAlertAttempt(db, stored, failure).catch(() => undefined);
      inFlight.delete(stored);
    } else keepInMemory(alert, raisedAt);
    count(alert, 'queued');
    logger.warn({ event: alert.event, severity: alert.severity, error: failure, kept: stored !== null ? 'outbox' : 'memory' }, 'admin alert not delivered; kept for retry');
    return 'queued';
  };

  const flushOnce = async (): Promise<number> => {
    let delivered = 0;
    while (memory.length > 0) {
      const head = memory[0];
      if (!head) break;
      if ((await deliver(head.alert, head.raisedAt)) !== null) return delivered;
      memory.shift();
      delivered += 1;
    }
    let pending;
    try {
      pending = await listUndeliveredAlerts(db, { limit: flushBatch });
    } catch {
      return delivered;
    }
    for (const row of pending) {
      if (inFlight.has(row.id)) continue;
      const alert: AlertRequest = { event: row.eventKey as AlertEvent, severity: row.severity, source: row.source, text: row.text, details: row.details };
      const failure = await deliver(alert, row.createdAt);
      if (failure !== null) {
        await recordAlertAttempt(db, row.id, failure).catch(() => undefined);
        // Telegram is still down: the rest would fail the same way.
        return delivered;
      }
      await markAlertDelivered(db, row.id).catch(() => undefined);
      delivered += 1;
    }
    if (delivered > 0) logger.info({ delivered }, 'kept admin alerts delivered');
    return delivered;
  };

  const flush = (): Promise<number> => {
    flushing ??= flushOnce().finally(() => {
      flushing = null;
    });
    return flushing;
  };

  return {
    raise,
    flush,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        flush().catch((error: unknown) => logger.error({ err: error }, 'alert flush failed'));
      }, flushIntervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await flushing?.catch(() => undefined);
    },
    memoryQueue: () => memory,
  };
}
