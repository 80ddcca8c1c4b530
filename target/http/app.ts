/**
 * The target's HTTP side, built without listening so tests can inject requests
 * and target/main.ts can own the socket.
 */
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { DbCheck, DbCheckResult } from '../health/db-check.ts';
import type { Sabotage } from '../sabotage.ts';
import { instrumentHttp } from '../metrics/http-hooks.ts';
import type { Metrics } from '../metrics/registry.ts';
import { registerControl, type ControlSurface } from '../control/routes.ts';
import type { BotReachability, SchedulerControl } from '../contracts.ts';

export interface AppDeps {
  /** The bounded database check (see health/db-check.ts). */
  checkDb: DbCheck;
  sabotage: Sabotage;
  /** Request and application logs; leave out for a silent app (tests). */
  logger?: FastifyBaseLogger;
  /** Counts and times every request and serves GET /metrics. */
  metrics?: Metrics;
  /** The harness's control API; registered only when a token is given. */
  control?: { token: string | undefined; surface: ControlSurface };
  /** When given, /health also reports whether the scheduler runs (C3). */
  scheduler?: SchedulerControl;
  /** When given, /health also reports whether Telegram answers getMe (C4, L7), cached by the implementation. */
  bot?: BotReachability;
  /** Mounts more routes (payment webhooks, the bot's webhook) on the same server. */
  routes?: (app: FastifyInstance) => void;
}

/** One component's state in GET /health. */
export interface ComponentHealth {
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

/** Body of GET /health. */
export interface HealthBody {
  status: 'ok' | 'fail';
  components: { db: DbCheckResult; scheduler?: ComponentHealth; bot?: ComponentHealth };
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app: FastifyInstance = deps.logger
    ? // Every request is counted and timed in /metrics; one log line per request would cost more than it tells.
      Fastify({ loggerInstance: deps.logger, disableRequestLogging: true })
    : Fastify({ logger: false });
  if (deps.metrics) instrumentHttp(app, deps.metrics);
  if (deps.control) registerControl(app, deps.control.token, deps.control.surface);
  deps.routes?.(app);

  app.get('/health', async (_request, reply) => {
    const db: DbCheckResult = deps.sabotage.has('health-db-check')
      ? // Sabotaged: claim the database is fine without asking it.
        { ok: true, latencyMs: 0 }
      : await deps.checkDb();
    const components: HealthBody['components'] = { db };
    // Sabotage health-ignores-scheduler: the scheduler is left out, so a stopped one goes unnoticed (C3).
    if (deps.scheduler && !deps.sabotage.has('health-ignores-scheduler')) {
      components.scheduler = deps.scheduler.isRunning() ? { ok: true } : { ok: false, error: 'scheduler is not running' };
    }
    if (deps.bot) components.bot = await deps.bot.check();
    const ok = Object.values(components).every((c) => c.ok);
    const body: HealthBody = { status: ok ? 'ok' : 'fail', components };
    return reply
      .code(ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });

  return app;
}
