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
}

/** Body of GET /health. */
export interface HealthBody {
  status: 'ok' | 'fail';
  components: { db: DbCheckResult };
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app: FastifyInstance = deps.logger ? Fastify({ loggerInstance: deps.logger }) : Fastify({ logger: false });
  if (deps.metrics) instrumentHttp(app, deps.metrics);
  if (deps.control) registerControl(app, deps.control.token, deps.control.surface);

  app.get('/health', async (_request, reply) => {
    const db: DbCheckResult = deps.sabotage.has('health-db-check')
      ? // Sabotaged: claim the database is fine without asking it.
        { ok: true, latencyMs: 0 }
      : await deps.checkDb();
    const body: HealthBody = { status: db.ok ? 'ok' : 'fail', components: { db } };
    return reply
      .code(db.ok ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });

  return app;
}
