/**
 * Admin analytics: a heavy aggregate written into analytics_metrics by the
 * analytics_refresh job (L6, B5), and a dashboard read that touches nothing
 * but that table (L3: < 100 ms).
 *
 * The refresh reads the source tables with plain SELECTs, which take only
 * ACCESS SHARE locks and no row locks: writers are never blocked by it, nor
 * is it by them. Everything runs in one REPEATABLE READ transaction under its
 * own statement_timeout: the figures come from one snapshot, and a refresh
 * that times out leaves the previous figures in place, whole.
 */
import type { Db } from '../db/handle.ts';
import { queryRepeatable } from '../db/query.ts';
import { toNumber } from '../db/sql-values.ts';
import { withTransaction } from '../db/transaction.ts';
import { InvalidInputError } from './repo-errors.ts';

/** L6: "Queries < 30 s". */
export const DEFAULT_ANALYTICS_STATEMENT_TIMEOUT_MS = 30_000;
/** How long the refresh may wait for any lock; only DDL could make it wait at all. */
export const DEFAULT_ANALYTICS_LOCK_TIMEOUT_MS = 5000;
/** Days of per-day figures, today (UTC) included. */
export const DEFAULT_ANALYTICS_WINDOW_DAYS = 30;

/** Transaction-level advisory lock ("analytic" in ASCII): one refresh at a time (B4: max_instances=1). */
export const ANALYTICS_REFRESH_LOCK_KEY = '7020655987639216483';

export interface RefreshAnalyticsOptions {
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  windowDays?: number;
}

export type RefreshAnalyticsResult = { status: 'ok'; detail: string; metrics: number } | { status: 'skipped'; detail: string };

export interface AnalyticsMetric {
  key: string;
  /** 'all', or a day YYYY-MM-DD (UTC). */
  period: string;
  value: number;
}

export interface AnalyticsSnapshot {
  /** When the figures were computed; null before the first refresh. */
  refreshedAt: Date | null;
  metrics: AnalyticsMetric[];
}

// Each branch is one family of figures; all of them read one snapshot. The
// refresh stores them; sabotage \`analytics-live-query\` answers the dashboard
// with them directly.
const FIGURES_SQL = `
WITH bounds AS (
  SELECT (now() AT TIME ZONE 'UTC')::date - ($1::int - 1) AS first_day
),
figures (key, period, value) AS (
  SELECT 'users_total', 'all', count(*)::numeric FROM users
  UNION ALL SELECT 'users_blocked', 'all', count(*) FROM users WHERE is_blocked
  UNION ALL SELECT 'users_new', to_char((u.created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), count(*)
    FROM users u, bounds WHERE (u.created_at AT TIME ZONE 'UTC')::date >= bounds.first_day GROUP BY 2
  UNION ALL SELECT 'balance_total', 'all', coalesce(sum(balance), 0) FROM users
  UNION ALL SELECT 'habits_total', 'all', count(*) FROM habits
  UNION ALL SELECT 'habits_active', 'all', count(*) FROM habits WHERE is_active
  UNION ALL SELECT 'users_with_active_habits', 'all', count(DISTINCT user_id) FROM habits WHERE is_active
  UNION ALL SELECT 'completions_total', 'all', count(*) FROM habit_completions
  UNION ALL SELECT 'completions', to_char(c.day, 'YYYY-MM-DD'), count(*)
    FROM habit_completions c, bounds WHERE c.day >= bounds.first_day GROUP BY c.day
  UNION ALL SELECT 'active_users', to_char(c.day, 'YYYY-MM-DD'), count(DISTINCT h.user_id)
    FROM habit_completions c JOIN habits h ON h.id = c.habit_id, bounds WHERE c.day >= bounds.first_day GROUP BY c.day
  UNION ALL SELECT 'active_users_window', 'all', count(DISTINCT h.user_id)
    FROM habit_completions c JOIN habits h ON h.id = c.habit_id, bounds WHERE c.day >= bounds.first_day
  UNION ALL SELECT 'reminders_sent', to_char((r.slot AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), count(*)
    FROM reminders_sent r, bounds WHERE r.slot >= (bounds.first_day::timestamp AT TIME ZONE 'UTC') GROUP BY 2
  UNION ALL SELECT 'payments_' || s.status, 'all', count(p.id)
    FROM unnest(ARRAY['pending', 'succeeded', 'canceled', 'failed']) AS s (status) LEFT JOIN payments p ON p.status = s.status GROUP BY s.status
  UNION ALL SELECT 'revenue_' || lower(currency), 'all', sum(amount) FROM payments WHERE status = 'succeeded' GROUP BY currency
  UNION ALL SELECT 'revenue_' || lower(p.currency), to_char((p.succeeded_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD'), sum(p.amount)
    FROM payments p, bounds WHERE p.status = 'succeeded' AND (p.succeeded_at AT TIME ZONE 'UTC')::date >= bounds.first_day GROUP BY 1, 2
  UNION ALL SELECT 'paying_users', 'all', count(DISTINCT user_id) FROM payments WHERE status = 'succeeded'
  UNION ALL SELECT 'subscriptions_active', 'all', count(*) FROM subscriptions WHERE now() >= period_start AND now() < period_end
  UNION ALL SELECT 'alerts_undelivered', 'all', count(*) FROM alert_outbox WHERE delivered_at IS NULL
)`;

const REFRESH_SQL = `${FIGURES_SQL}
INSERT INTO analytics_metrics (key, period, value, refreshed_at)
SELECT key, period, value, now() FROM figures`;

const LIVE_SQL = `${FIGURES_SQL}
SELECT key, period, value, now() AS refreshed_at FROM figures ORDER BY key, period`;

/**
 * What sabotage `analytics-blocking` adds: "consistent figures" bought with a
 * SHARE lock on every table the refresh reads. SHARE conflicts with the ROW
 * EXCLUSIVE lock every INSERT, UPDATE and DELETE takes, so each writer waits
 * until the refresh commits (L6: "Does not block other jobs").
 */
const BLOCKING_LOCK_SQL = 'LOCK TABLE users, habits, habit_completions, reminders_sent, payments, subscriptions IN SHARE MODE';

/**
 * Recomputes every figure and replaces the table's content in one
 * transaction. Answers 'skipped' when another refresh holds the lock. A
 * statement_timeout (57014) or any other error rolls back everything and
 * propagates; wrap the call in runLoggedJob to get it in the job log.
 * Not retried on a dead connection: it is heavy, and the next scheduled run
 * does the same work.
 */
export async function refreshAnalytics(db: Db, options: RefreshAnalyticsOptions = {}): Promise<RefreshAnalyticsResult> {
  const windowDays = options.windowDays ?? DEFAULT_ANALYTICS_WINDOW_DAYS;
  if (!Number.isInteger(windowDays) || windowDays < 1 || windowDays > 366) throw new InvalidInputError('windowDays must be an integer from 1 to 366');
  const started = performance.now();
  return withTransaction(
    db.pool,
    async (client): Promise<RefreshAnalyticsResult> => {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1::bigint) AS locked', [ANALYTICS_REFRESH_LOCK_KEY]);
      if (rows[0]?.locked !== true) return { status: 'skipped', detail: 'another analytics refresh is running' };
      if (db.sabotage.has('analytics-blocking')) await client.query(BLOCKING_LOCK_SQL);
      await client.query('DELETE FROM analytics_metrics');
      const inserted = await client.query(REFRESH_SQL, [windowDays]);
      const metrics = inserted.rowCount ?? 0;
      return { status: 'ok', metrics, detail: `${metrics} figures in ${Math.round(performance.now() - started)} ms` };
    },
    {
      isolation: 'repeatable read',
      statementTimeoutMs: options.statementTimeoutMs ?? DEFAULT_ANALYTICS_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: options.lockTimeoutMs ?? DEFAULT_ANALYTICS_LOCK_TIMEOUT_MS,
    },
  );
}

/**
 * The dashboard's figures, from analytics_metrics alone (L3: < 100 ms however
 * large the source tables are). Repeatable.
 *
 * Sabotage `analytics-live-query`: the figures are computed from the source
 * tables on every call, as a dashboard without the summary table would, so the
 * read grows with the data.
 */
export async function readAnalytics(db: Db): Promise<AnalyticsSnapshot> {
  const live = db.sabotage.has('analytics-live-query');
  const { rows } = await queryRepeatable<{ key: string; period: string; value: string; refreshed_at: Date }>(
    db,
    live ? LIVE_SQL : 'SELECT key, period, value, refreshed_at FROM analytics_metrics ORDER BY key, period',
    live ? [DEFAULT_ANALYTICS_WINDOW_DAYS] : [],
  );
  let refreshedAt: Date | null = null;
  for (const row of rows) if (refreshedAt === null || row.refreshed_at > refreshedAt) refreshedAt = row.refreshed_at;
  return { refreshedAt, metrics: rows.map((row) => ({ key: row.key, period: row.period, value: toNumber(row.value, 'analytics_metrics.value') })) };
}

/** One figure of a snapshot; 0 when absent (no rows counted). */
export function metricValue(snapshot: AnalyticsSnapshot, key: string, period = 'all'): number {
  return snapshot.metrics.find((metric) => metric.key === key && metric.period === period)?.value ?? 0;
}
