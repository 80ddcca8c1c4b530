/**
 * Webhook delivery: while a webhook is set, pending updates are POSTed to it
 * one at a time in update_id order, with the secret token header when one
 * was set. An update the bot does not accept with 2xx is sent again with
 * backoff; after the retry policy gives up it is dropped, as Telegram does
 * after its own retries. A 2xx answer that carries a method call is executed.
 */
import { STATUS_CODES } from 'node:http';
import type { Agent } from 'undici';
import { nextRetryDelayMs } from '../shared/backoff.ts';
import { createPostAgent, postOnce } from '../shared/http-post.ts';
import type { PostOutcome } from '../shared/http-post.ts';
import type { TelegramSimState } from './state.ts';
import { noteHandedOut } from './state.ts';

/** Runs a Bot API method the bot put in its webhook answer. */
export type WebhookReplyRunner = (method: string, params: Record<string, unknown>) => Promise<void>;

export const SECRET_TOKEN_HEADER = 'X-Telegram-Bot-Api-Secret-Token';

export class WebhookSender {
  private readonly state: TelegramSimState;
  private readonly runReply: WebhookReplyRunner;
  private readonly agent: Agent = createPostAgent();
  private running = false;
  private abort = new AbortController();
  private wakeUp: (() => void) | null = null;
  private sleepTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(state: TelegramSimState, runReply: WebhookReplyRunner) {
    this.state = state;
    this.runReply = runReply;
    state.updates.onPush(() => this.kick());
  }

  /** Starts the delivery loop if a webhook is set and it is not running yet. */
  kick(): void {
    if (this.closed || this.running || this.state.webhook === null) return;
    this.running = true;
    const signal = this.abort.signal;
    void this.loop(signal).finally(() => {
      this.running = false;
      // Updates may be waiting: one arrived after the last look at the queue,
      // or the webhook was replaced while this loop was stopping.
      if (this.state.webhook !== null && this.state.updates.size > 0) this.kick();
    });
  }

  /** Stops the loop (webhook deleted or changed, reset); pending updates stay queued. */
  stop(): void {
    this.abort.abort();
    this.abort = new AbortController();
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    this.wakeUp?.();
    this.wakeUp = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    await this.agent.destroy().catch(() => undefined);
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let firstAttemptAt = 0;
    let currentId = -1;
    while (!signal.aborted) {
      const webhook = this.state.webhook;
      const head = this.state.updates.head();
      if (webhook === null || head === undefined) return;
      if (head.update.update_id !== currentId) {
        currentId = head.update.update_id;
        failures = 0;
        firstAttemptAt = Date.now();
      }
      noteHandedOut(this.state, [head]);
      const headers: Record<string, string> = webhook.secretToken ? { [SECRET_TOKEN_HEADER]: webhook.secretToken } : {};
      this.state.counters.webhook_attempts += 1;
      const outcome = await postOnce(this.agent, webhook.url, JSON.stringify(head.update), headers, this.state.options.webhookTimeoutMs, signal);
      if (signal.aborted) return;
      if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
        this.state.updates.confirm(head.update.update_id + 1);
        await this.runWebhookReply(outcome.responseBody);
        continue;
      }
      failures += 1;
      this.state.counters.webhook_failures += 1;
      this.state.webhookLastError = { date: Math.floor(Date.now() / 1000), message: describeFailure(outcome) };
      const delay = nextRetryDelayMs(this.state.options.webhookRetry, failures, firstAttemptAt, Date.now());
      if (delay === null) {
        this.state.updates.confirm(head.update.update_id + 1);
        this.state.counters.webhook_dropped += 1;
        continue;
      }
      await this.sleep(delay);
    }
  }

  private async runWebhookReply(body: string): Promise<void> {
    if (body.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
    const { method, ...params } = parsed as Record<string, unknown>;
    if (typeof method !== 'string') return;
    // Telegram does not report the outcome of a method run from a webhook answer.
    await this.runReply(method, params).catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = null;
        this.wakeUp = null;
        resolve();
      }, ms);
    });
  }
}

function describeFailure(outcome: PostOutcome): string {
  if (outcome.status !== null) return `Wrong response from the webhook: ${outcome.status} ${STATUS_CODES[outcome.status] ?? ''}`.trim();
  return outcome.error ?? 'Connection failed';
}
