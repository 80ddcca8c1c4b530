/**
 * Payment-provider style notifications: each one is POSTed on its own and
 * sent again with backoff until the receiver answers with an accepted status,
 * the attempts run out or the horizon passes. Every attempt is logged so the
 * harness can see exactly what the receiver was sent and what it answered.
 */
import type { Agent } from 'undici';
import type { RetryPolicy } from './backoff.ts';
import { nextRetryDelayMs } from './backoff.ts';
import { createPostAgent, postOnce } from './http-post.ts';
import { requireLoopbackUrl } from './loopback-url.ts';

/** genuine: a real state change; duplicate: a copy of an earlier one; forged: not from the provider. */
export type DeliveryKind = 'genuine' | 'duplicate' | 'forged';

/** One attempt, as the delivery log shows it. */
export interface DeliveryAttempt {
  /** Start of the attempt, epoch milliseconds. */
  at: number;
  /** HTTP status of the receiver's answer, or null when none came. */
  status: number | null;
  /** Network-level failure (refused, timeout), or null. */
  error: string | null;
  latency_ms: number;
}

/** One notification and everything that happened to it. */
export interface DeliveryRecord {
  id: string;
  kind: DeliveryKind;
  /** Event name: payment.succeeded, invoice_paid, … */
  event: string;
  /** The payment or invoice the notification is about (as the body claims it). */
  subject_id: string;
  url: string;
  /** Exactly the bytes that were sent. */
  body: string;
  headers: Record<string, string>;
  created_at: number;
  /** pending: still being tried; delivered: accepted; failed: gave up. */
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
  /** Id of the delivery this one copies (duplicates only). */
  copy_of: string | null;
}

export interface DeliveryRequest {
  kind: DeliveryKind;
  event: string;
  subjectId: string;
  url: string;
  body: string;
  headers?: Record<string, string>;
  /** Cap on attempts for this delivery (forged ones are sent once). */
  maxAttempts?: number;
  copyOf?: string;
}

export interface DelivererOptions {
  policy: RetryPolicy;
  /** How long one attempt may wait for the receiver. */
  attemptTimeoutMs: number;
  /** Which statuses count as accepted (the providers want exactly 200). */
  accepts: (status: number) => boolean;
  /** Oldest records are dropped beyond this many. */
  maxRecords?: number;
  /** Prefix of delivery ids. */
  idPrefix: string;
}

/** Filters of `list`. */
export interface DeliveryFilter {
  subject_id?: string;
  kind?: DeliveryKind;
  state?: DeliveryRecord['state'];
}

export class NotificationDeliverer {
  private readonly options: DelivererOptions;
  private readonly records = new Map<string, DeliveryRecord>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private abort = new AbortController();
  private readonly agent: Agent = createPostAgent();
  private sequence = 0;
  private inFlight = 0;
  private closed = false;

  constructor(options: DelivererOptions) {
    this.options = options;
  }

  /** Starts delivering at once; throws NonLoopbackUrlError for a URL off this machine. */
  send(request: DeliveryRequest): DeliveryRecord {
    requireLoopbackUrl(request.url);
    this.sequence += 1;
    const record: DeliveryRecord = {
      id: `${this.options.idPrefix}-${this.sequence}`,
      kind: request.kind,
      event: request.event,
      subject_id: request.subjectId,
      url: request.url,
      body: request.body,
      headers: request.headers ?? {},
      created_at: Date.now(),
      state: 'pending',
      attempts: [],
      copy_of: request.copyOf ?? null,
    };
    this.records.set(record.id, record);
    this.trim();
    const maxAttempts = Math.min(request.maxAttempts ?? this.options.policy.maxAttempts, this.options.policy.maxAttempts);
    void this.attempt(record, maxAttempts, this.abort.signal);
    return record;
  }

  get(id: string): DeliveryRecord | undefined {
    return this.records.get(id);
  }

  /** Deliveries oldest first. */
  list(filter: DeliveryFilter = {}): DeliveryRecord[] {
    return [...this.records.values()].filter(
      (record) =>
        (filter.subject_id === undefined || record.subject_id === filter.subject_id) &&
        (filter.kind === undefined || record.kind === filter.kind) &&
        (filter.state === undefined || record.state === filter.state),
    );
  }

  /** Counts for the counters endpoint. */
  stats(): { deliveries: number; attempts: number; failed_attempts: number; delivered: number; gave_up: number; pending: number } {
    let attempts = 0;
    let failedAttempts = 0;
    let delivered = 0;
    let gaveUp = 0;
    let pending = 0;
    for (const record of this.records.values()) {
      attempts += record.attempts.length;
      failedAttempts += record.attempts.filter((a) => a.status === null || !this.options.accepts(a.status)).length;
      if (record.state === 'delivered') delivered += 1;
      else if (record.state === 'failed') gaveUp += 1;
      else pending += 1;
    }
    return { deliveries: this.records.size, attempts, failed_attempts: failedAttempts, delivered, gave_up: gaveUp, pending };
  }

  /** Whether nothing is waiting for a retry or an answer. */
  idle(): boolean {
    return this.inFlight === 0 && this.timers.size === 0;
  }

  /** Stops every pending retry and in-flight attempt and forgets the log. */
  reset(): void {
    this.cancelAll();
    this.records.clear();
    this.abort = new AbortController();
  }

  /** Stops everything for good and releases the connection pool. */
  async close(): Promise<void> {
    this.closed = true;
    this.cancelAll();
    await this.agent.destroy().catch(() => undefined);
  }

  private cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.abort.abort();
    for (const record of this.records.values()) if (record.state === 'pending') record.state = 'failed';
  }

  private async attempt(record: DeliveryRecord, maxAttempts: number, signal: AbortSignal): Promise<void> {
    if (this.closed || signal.aborted) return;
    this.inFlight += 1;
    let outcome;
    try {
      outcome = await postOnce(this.agent, record.url, record.body, record.headers, this.options.attemptTimeoutMs, signal);
    } finally {
      this.inFlight -= 1;
    }
    if (signal.aborted) return;
    record.attempts.push({ at: outcome.startedAt, status: outcome.status, error: outcome.error, latency_ms: outcome.latencyMs });
    if (outcome.status !== null && this.options.accepts(outcome.status)) {
      record.state = 'delivered';
      return;
    }
    const policy = { ...this.options.policy, maxAttempts };
    const firstAt = record.attempts[0]?.at ?? outcome.startedAt;
    const delay = nextRetryDelayMs(policy, record.attempts.length, firstAt, Date.now());
    if (delay === null) {
      record.state = 'failed';
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(record, maxAttempts, signal);
    }, delay);
    this.timers.add(timer);
  }

  private trim(): void {
    const max = this.options.maxRecords ?? 10_000;
    while (this.records.size > max) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
  }
}
