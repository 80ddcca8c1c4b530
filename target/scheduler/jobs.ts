/**
 * The target's scheduled jobs (seed §1.2): habit_reminders (L5),
 * analytics_refresh (L6, B5) and health_check (L7), with the seed's
 * intervals as defaults.
 */
import type { BotReachability, Notifier } from '../contracts.ts';
import type { Db } from '../db/handle.ts';
import { wholeMinute } from '../db/sql-values.ts';
import type { DbCheck } from '../health/db-check.ts';
import { refreshAnalytics } from '../repos/analytics.ts';
import type { DueHabit } from '../repos/habits.ts';
import { listHabitsDueAt } from '../repos/habits.ts';
import type { JobWorkResult } from '../repos/job-log.ts';
import { logJobSkip } from '../repos/job-log.ts';
import { claimReminder, recordReminderOutcome } from '../repos/reminders.ts';
import type { Sabotage } from '../sabotage.ts';
import type { JobContext, ScheduledJob } from './scheduler.ts';

export const DEFAULT_JOB_INTERVALS_MS = {
  habit_reminders: 60_000,
  analytics_refresh: 3_600_000,
  health_check: 300_000,
} as const;

export interface ReminderMessage {
  text: string;
  replyMarkup?: unknown;
}

/** The reminder a user gets; the default carries a "Done" button with callback data `habit_done:<id>`. */
export function defaultReminderMessage(habit: DueHabit): ReminderMessage {
  return {
    text: `⏰ Time for your habit: ${habit.title}`,
    replyMarkup: { inline_keyboard: [[{ text: '✅ Done', callback_data: `habit_done:${habit.habitId}` }]] },
  };
}

export interface ReminderJobOptions {
  db: Db;
  notifier: Notifier;
  /** Due habits read per page (default 500). */
  pageSize?: number;
  /** Reminders sent at once (default 20); the Notifier handles 429s (B7). */
  concurrency?: number;
  message?: (habit: DueHabit) => ReminderMessage;
  /** The slot to serve; default the minute the run stands for. */
  slotOf?: (context: JobContext) => Date;
}

export interface ReminderRunSummary {
  sent: number;
  blocked: number;
  failed: number;
  /** Habits another run claimed first. */
  alreadyClaimed: number;
}

/**
 * Sends the reminders due at one minute slot: pages through the due query,
 * claims each (habit, slot) before sending, so overlapping or repeated runs
 * send each reminder once (L5). A blocked user is logged as a skip and the
 * run goes on (C9); a failed send is recorded and the run goes on.
 */
export async function sendDueReminders(options: ReminderJobOptions, context: JobContext & { slot: Date }): Promise<ReminderRunSummary> {
  const { db, notifier } = options;
  const pageSize = options.pageSize ?? 500;
  const concurrency = Math.max(1, options.concurrency ?? 20);
  const message = options.message ?? defaultReminderMessage;
  const slot = wholeMinute(context.slot);
  const summary: ReminderRunSummary = { sent: 0, blocked: 0, failed: 0, alreadyClaimed: 0 };

  const remind = async (habit: DueHabit): Promise<void> => {
    if (!(await claimReminder(db, habit.habitId, slot))) {
      summary.alreadyClaimed += 1;
      return;
    }
    const { text, replyMarkup } = message(habit);
    let outcome: 'sent' | 'blocked' | 'failed';
    try {
      outcome = await notifier.send(habit.telegramId, text, { replyMarkup, context: `reminder:${habit.habitId}` });
    } catch {
      outcome = 'failed';
    }
    summary[outcome] += 1;
    await recordReminderOutcome(db, habit.habitId, slot, outcome).catch(() => undefined);
    if (outcome === 'blocked') {
      await logJobSkip(db, { jobName: context.run.jobName, runId: context.run.runId, detail: `habit ${habit.habitId}: user ${habit.userId} blocked the bot` }).catch(() => undefined);
    }
  };

  let afterId = 0;
  for (;;) {
    const page = await listHabitsDueAt(db, slot, { afterId, limit: pageSize });
    if (page.length === 0) break;
    afterId = page[page.length - 1]?.habitId ?? afterId;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < page.length) {
        const habit = page[next];
        next += 1;
        if (habit) await remind(habit);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, page.length) }, worker));
    if (page.length < pageSize) break;
  }
  return summary;
}

export function habitRemindersJob(options: ReminderJobOptions & { intervalMs?: number }): ScheduledJob {
  return {
    name: 'habit_reminders',
    intervalMs: options.intervalMs ?? DEFAULT_JOB_INTERVALS_MS.habit_reminders,
    async run(context): Promise<JobWorkResult> {
      const slot = options.slotOf ? options.slotOf(context) : context.scheduledAt;
      const s = await sendDueReminders(options, { ...context, slot });
      const detail = `slot ${wholeMinute(slot).toISOString()}: sent ${s.sent}, blocked ${s.blocked}, failed ${s.failed}, claimed by another run ${s.alreadyClaimed}`;
      return { status: s.sent + s.blocked + s.failed === 0 ? 'skipped' : 'ok', detail };
    },
  };
}

export interface AnalyticsJobOptions {
  db: Db;
  intervalMs?: number;
  /** The refresh's own statement_timeout (default 30 s, L6). */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

/** refreshAnalytics in its own transaction and timeout: it takes no locks writers wait for (L6, B5). */
export function analyticsRefreshJob(options: AnalyticsJobOptions): ScheduledJob {
  return {
    name: 'analytics_refresh',
    intervalMs: options.intervalMs ?? DEFAULT_JOB_INTERVALS_MS.analytics_refresh,
    async run(): Promise<JobWorkResult> {
      const result = await refreshAnalytics(options.db, { statementTimeoutMs: options.statementTimeoutMs ?? 30_000, lockTimeoutMs: options.lockTimeoutMs });
      return { status: result.status, detail: result.detail };
    },
  };
}

export interface HealthCheckJobOptions {
  /** A database check bounded at 500 ms (createDbCheck(pool, 500)). */
  checkDb: DbCheck;
  bot?: BotReachability;
  intervalMs?: number;
  /** L7: the database must answer within this (default 500 ms). */
  dbLimitMs?: number;
  /** L7: getMe must answer within this (default 1000 ms). */
  botLimitMs?: number;
  /** Sabotage `health-tight-limits` replaces both limits with far tighter ones. */
  sabotage?: Sabotage;
}

/** L7's bounds: "DB check < 500 ms. Bot getMe < 1 s." */
export const HEALTH_CHECK_LIMITS_MS = { db: 500, bot: 1000 } as const;
/** What sabotage `health-tight-limits` judges against: ordinary slowness then reads as an outage (false positives). */
export const TIGHT_HEALTH_CHECK_LIMITS_MS = { db: 50, bot: 100 } as const;

/** Thrown by health_check when a component fails, so the job log records the run as failed with why. */
export class HealthCheckFailedError extends Error {
  constructor(problems: string[]) {
    super(`health check failed: ${problems.join('; ')}`);
    this.name = 'HealthCheckFailedError';
  }
}

/**
 * L7 health_check: DB < 500 ms, getMe < 1 s, recorded in the job log. It
 * raises no alerts: the health monitor does that, because it keeps running
 * when the scheduler is stopped (C3). A check that answers but slower than
 * its limit is a failure too; one that answers within it is not, however slow
 * (no false positives).
 */
export function healthCheckJob(options: HealthCheckJobOptions): ScheduledJob {
  const tight = options.sabotage?.has('health-tight-limits') === true;
  const dbLimitMs = tight ? TIGHT_HEALTH_CHECK_LIMITS_MS.db : (options.dbLimitMs ?? HEALTH_CHECK_LIMITS_MS.db);
  const botLimitMs = tight ? TIGHT_HEALTH_CHECK_LIMITS_MS.bot : (options.botLimitMs ?? HEALTH_CHECK_LIMITS_MS.bot);
  return {
    name: 'health_check',
    intervalMs: options.intervalMs ?? DEFAULT_JOB_INTERVALS_MS.health_check,
    firstRunAfterMs: 0,
    async run(): Promise<JobWorkResult> {
      const problems: string[] = [];
      const db = await options.checkDb();
      if (!db.ok) problems.push(`db: ${db.error ?? 'failed'} after ${db.latencyMs} ms`);
      else if (db.latencyMs > dbLimitMs) problems.push(`db: ${db.latencyMs} ms > ${dbLimitMs} ms`);
      let botDetail = 'bot: not checked';
      if (options.bot) {
        const bot = await options.bot.check().catch((error: unknown) => ({ ok: false, latencyMs: 0, error: error instanceof Error ? error.message : String(error) }));
        if (!bot.ok) problems.push(`getMe: ${bot.error ?? 'failed'}`);
        else if (bot.latencyMs > botLimitMs) problems.push(`getMe: ${bot.latencyMs} ms > ${botLimitMs} ms`);
        botDetail = `getMe ${bot.latencyMs} ms`;
      }
      if (problems.length > 0) throw new HealthCheckFailedError(problems);
      return { status: 'ok', detail: `db ${db.latencyMs} ms, ${botDetail}` };
    },
  };
}
