/**
 * The admin alert outbox: alerts are stored first and delivered to Telegram
 * after, so an alert raised while Telegram is unreachable (C4) is sent when
 * it returns. Alerts about the database itself (C1) cannot be stored here
 * while it is down; the alerting code must keep those in memory.
 *
 * One delivery loop per process is assumed: two loops could both send an
 * alert listed by each before either marked it delivered.
 */
import type { Db } from '../db/handle.ts';
import { queryOnce, queryRepeatable } from '../db/query.ts';
import { toSafeInteger } from '../db/sql-values.ts';

export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface NewAlert {
  /** Stable name of the event, e.g. db_down; cooldowns are per event key. */
  eventKey: string;
  severity: AlertSeverity;
  /** What raised it, e.g. health_check, payment_webhook. */
  source: string;
  text: string;
  details?: Record<string, unknown>;
}

export interface OutboxAlert {
  id: number;
  eventKey: string;
  severity: AlertSeverity;
  source: string;
  text: string;
  details: Record<string, unknown>;
  createdAt: Date;
  deliveredAt: Date | null;
  attempts: number;
  lastError: string | null;
}

type AlertRow = {
  id: string;
  event_key: string;
  severity: AlertSeverity;
  source: string;
  text: string;
  details: Record<string, unknown>;
  created_at: Date;
  delivered_at: Date | null;
  attempts: number;
  last_error: string | null;
};

const ALERT_COLUMNS = 'id, event_key, severity, source, text, details, created_at, delivered_at, attempts, last_error';

function alertFromRow(row: AlertRow): OutboxAlert {
  return {
    id: toSafeInteger(row.id, 'alert_outbox.id'),
    eventKey: row.event_key,
    severity: row.severity,
    source: row.source,
    text: row.text,
    details: row.details,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    attempts: row.attempts,
    lastError: row.last_error,
  };
}

/** Stores an alert for delivery. A plain insert, not retried (a retry could store it twice). */
export async function enqueueAlert(db: Db, alert: NewAlert): Promise<OutboxAlert> {
  const { rows } = await queryOnce<AlertRow>(
    db,
    `INSERT INTO alert_outbox (event_key, severity, source, text, details) VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING ${ALERT_COLUMNS}`,
    [alert.eventKey, alert.severity, alert.source, alert.text, JSON.stringify(alert.details ?? {})],
  );
  const row = rows[0];
  if (!row) throw new Error('insert into alert_outbox returned no row');
  return alertFromRow(row);
}

/** Alerts not delivered yet, oldest first. Repeatable. */
export async function listUndeliveredAlerts(db: Db, options: { limit?: number } = {}): Promise<OutboxAlert[]> {
  const { rows } = await queryRepeatable<AlertRow>(db, `SELECT ${ALERT_COLUMNS} FROM alert_outbox WHERE delivered_at IS NULL ORDER BY created_at, id LIMIT $1`, [
    options.limit ?? 50,
  ]);
  return rows.map(alertFromRow);
}

/** Counts one delivery attempt, with its error if it failed; returns the attempts so far. Not retried (an increment). */
export async function recordAlertAttempt(db: Db, alertId: number, error?: string): Promise<number> {
  const { rows } = await queryOnce<{ attempts: number }>(
    db,
    'UPDATE alert_outbox SET attempts = attempts + 1, last_error = coalesce($2, last_error) WHERE id = $1 RETURNING attempts',
    [alertId, error ?? null],
  );
  return rows[0]?.attempts ?? 0;
}

/** The alert reached Telegram. Keeps the first delivery time; false when no such alert. Repeatable. */
export async function markAlertDelivered(db: Db, alertId: number): Promise<boolean> {
  const { rowCount } = await queryRepeatable(db, 'UPDATE alert_outbox SET delivered_at = coalesce(delivered_at, now()) WHERE id = $1', [alertId]);
  return (rowCount ?? 0) > 0;
}

/** The newest alert of an event, for cooldowns (§4). Repeatable. */
export async function latestAlert(db: Db, eventKey: string): Promise<OutboxAlert | null> {
  const { rows } = await queryRepeatable<AlertRow>(db, `SELECT ${ALERT_COLUMNS} FROM alert_outbox WHERE event_key = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, [
    eventKey,
  ]);
  return rows[0] ? alertFromRow(rows[0]) : null;
}
