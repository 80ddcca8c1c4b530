/**
 * The target's Prometheus metrics (seed §7.6): requests, latency, errors, the DB
 * pool (B1), jobs, Telegram 429s. One registry per process, so tests can build
 * as many apps as they like without clashing names.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface PoolSnapshot {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  httpErrors: Counter<'route' | 'kind'>;
  jobRuns: Counter<'job' | 'outcome'>;
  jobDuration: Histogram<'job'>;
  telegramCalls: Counter<'method' | 'outcome'>;
  telegram429: Counter<'method'>;
  alertsRaised: Counter<'event' | 'severity' | 'outcome'>;
  webhooks: Counter<'provider' | 'outcome'>;
  throttled: Counter;
  /** L3: how long the admin dashboard's read of its figures takes. */
  analyticsRead: Histogram;
}

export interface MetricsOptions {
  /** Reads the pool's state at scrape time. */
  poolStats?: () => PoolSnapshot;
  /** Node's own process metrics (memory, event loop lag); off in tests. */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const poolStats = options.poolStats;
  if (poolStats) {
    new Gauge({
      name: 'db_pool_connections',
      help: 'PostgreSQL pool connections by state (B1: watch waiting).',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const s = poolStats();
        this.set({ state: 'total' }, s.total);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
        this.set({ state: 'max' }, s.max);
      },
    });
  }
  return {
    registry,
    httpRequests: new Counter({ name: 'http_requests_total', help: 'HTTP requests answered.', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 3, 10],
      registers: [registry],
    }),
    httpErrors: new Counter({ name: 'http_errors_total', help: 'HTTP requests answered with 5xx, by route.', labelNames: ['route', 'kind'], registers: [registry] }),
    jobRuns: new Counter({ name: 'scheduler_job_runs_total', help: 'Scheduler job runs by outcome.', labelNames: ['job', 'outcome'], registers: [registry] }),
    jobDuration: new Histogram({
      name: 'scheduler_job_duration_seconds',
      help: 'Scheduler job run time.',
      labelNames: ['job'],
      buckets: [0.05, 0.25, 1, 5, 15, 30, 60, 300],
      registers: [registry],
    }),
    telegramCalls: new Counter({ name: 'telegram_api_calls_total', help: 'Telegram Bot API calls by outcome.', labelNames: ['method', 'outcome'], registers: [registry] }),
    telegram429: new Counter({ name: 'telegram_api_429_total', help: 'Telegram answers 429 Too Many Requests.', labelNames: ['method'], registers: [registry] }),
    alertsRaised: new Counter({ name: 'admin_alerts_total', help: 'Admin alerts by event, severity and outcome (sent, suppressed, queued; dropped only under sabotage alert-drop).', labelNames: ['event', 'severity', 'outcome'], registers: [registry] }),
    webhooks: new Counter({ name: 'payment_webhooks_total', help: 'Payment webhooks by provider and outcome.', labelNames: ['provider', 'outcome'], registers: [registry] }),
    throttled: new Counter({ name: 'bot_updates_throttled_total', help: 'Updates the rate limit kept from every handler (C11).', registers: [registry] }),
    analyticsRead: new Histogram({
      name: 'bot_analytics_read_duration_seconds',
      help: 'Time of the database read behind the admin dashboard (L3: read from analytics_metrics < 100 ms).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
