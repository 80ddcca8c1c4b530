/**
 * Seams between the target's parts, so each can be built and tested on its own
 * and wired together in target/main.ts. Implementations live with their part.
 */

/** What happened to one message the target tried to send to a Telegram chat. */
export type SendOutcome = 'sent' | 'blocked' | 'failed';

/** Sends Telegram messages with the retry and blocked-user rules of seed C9/B7 (notifications/). */
export interface Notifier {
  send(chatId: number, text: string, options?: { replyMarkup?: unknown; context?: string }): Promise<SendOutcome>;
}

export type AlertSeverity = 'critical' | 'warning' | 'info';

/** Admin alert events of seed §4. */
export type AlertEvent = 'db_down' | 'db_recovered' | 'scheduler_stopped' | 'scheduler_recovered' | 'bot_unreachable' | 'bot_recovered' | 'webhook_verify_failed';

export interface AlertRequest {
  event: AlertEvent;
  severity: AlertSeverity;
  source: string;
  text: string;
  details?: Record<string, unknown>;
}

/** Raises admin alerts; cooldowns, persistence and delivery are the implementation's business (alerts/). */
export interface Alerts {
  raise(alert: AlertRequest): Promise<'sent' | 'queued' | 'suppressed'>;
}

/** The scheduler as the rest of the target sees it (scheduler/). */
export interface SchedulerControl {
  start(): Promise<void>;
  stop(): Promise<void>;
  isRunning(): boolean;
}

/** Whether the bot can reach Telegram right now (getMe), cached briefly (bot/). */
export interface BotReachability {
  check(): Promise<{ ok: boolean; latencyMs: number; error?: string }>;
}
