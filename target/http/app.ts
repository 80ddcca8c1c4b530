/**
 * The target's HTTP side, built without listening so tests can inject requests
 * and target/main.ts can own the socket.
 */
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { DbCheck, DbCheckResult } from '../health/db-check.ts';
import type { Sabotage } from '../sabotage.ts';

export interface AppDeps {
  /** The bounded database check (see health/db-check.ts). */
  checkDb: DbCheck;
  sabotage: Sabotage;
  /** Request and application logs; leave out for a silent app (tests). */
  logger?: FastifyBaseLogger;
}

/** Body of GET /health. */
export interface HealthBody {
  status: 'ok' | 'fail';
  components: { db: DbCheckResult };
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app: FastifyInstance = deps.logger ? Fastify({ loggerInstance: deps.logger }) : Fastify({ logger: false });

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
