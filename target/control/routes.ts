/**
 * The harness's control API on the target: stop and start the scheduler (the
 * seed's `scheduler.shutdown()`, C3) and read counters. It exists only when a
 * control token is configured, and every call must carry that token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** What the control API can act on; parts not built yet are simply absent. */
export interface ControlSurface {
  scheduler?: {
    stop(): Promise<void>;
    start(): Promise<void>;
    isRunning(): boolean;
    /** Runs one job now (one-instance rule kept); rejects for an unknown job. */
    runNow(name: string, options?: { scheduledAt?: Date; onDetail?: (detail: string) => void }): Promise<string>;
  };
  /** Named counters for the harness (e.g. replies sent, webhooks processed). */
  counters(): Promise<Record<string, number>> | Record<string, number>;
}

const HEADER = 'x-control-token';

/** Compares two tokens in time independent of where they differ (hashing first equalises lengths). */
export function tokensMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function registerControl(app: FastifyInstance, token: string | undefined, surface: ControlSurface): void {
  if (!token) return; // off unless configured: the routes do not exist
  void app.register(
    async (scope) => {
      scope.addHook('onRequest', async (request, reply) => {
        const given = request.headers[HEADER];
        if (typeof given !== 'string' || !tokensMatch(given, token)) {
          return reply.code(401).send({ error: 'unauthorized', message: `missing or wrong ${HEADER} header` });
        }
      });
      scope.get('/counters', async () => surface.counters());
      scope.get('/scheduler', async (_request, reply) => {
        if (!surface.scheduler) return reply.code(501).send({ error: 'no scheduler in this process' });
        return { running: surface.scheduler.isRunning() };
      });
      scope.post('/scheduler/stop', async (_request, reply) => {
        if (!surface.scheduler) return reply.code(501).send({ error: 'no scheduler in this process' });
        await surface.scheduler.stop();
        return { running: surface.scheduler.isRunning() };
      });
      scope.post<{ Params: { name: string }; Body: { slot?: unknown } | null }>('/jobs/:name/run', async (request, reply) => {
        const scheduler = surface.scheduler;
        if (!scheduler) return reply.code(501).send({ error: 'no scheduler in this process' });
        const slot = request.body?.slot;
        const scheduledAt = typeof slot === 'string' ? new Date(slot) : undefined;
        if (slot !== undefined && (scheduledAt === undefined || Number.isNaN(scheduledAt.getTime()))) {
          return reply.code(400).send({ error: 'bad_slot', message: 'slot is an ISO instant, e.g. 2026-01-01T04:00:00Z' });
        }
        let detail: string | undefined;
        const started = performance.now();
        try {
          const outcome = await scheduler.runNow(request.params.name, { ...(scheduledAt ? { scheduledAt } : {}), onDetail: (d) => (detail = d) });
          return { job: request.params.name, outcome, durationMs: Math.round(performance.now() - started), ...(detail ? { detail } : {}) };
        } catch (error) {
          return reply.code(404).send({ error: 'unknown_job', message: (error as Error).message });
        }
      });
      scope.post('/scheduler/start', async (_request, reply) => {
        if (!surface.scheduler) return reply.code(501).send({ error: 'no scheduler in this process' });
        await surface.scheduler.start();
        return { running: surface.scheduler.isRunning() };
      });
    },
    { prefix: '/_control' },
  );
}
