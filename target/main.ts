/**
 * Entry point of the target: config and sabotage from the environment, the
 * database pool, the HTTP app, and a graceful stop on SIGTERM/SIGINT.
 * It starts even when PostgreSQL is down; /health then answers 503.
 */
import { pino } from 'pino';
import { loadConfig, maskDatabaseUrl } from './config.ts';
import type { AppConfig } from './config.ts';
import { createDbPool, poolStats } from './db/pool.ts';
import { createMetrics } from './metrics/registry.ts';
import { createDbCheck } from './health/db-check.ts';
import { buildApp } from './http/app.ts';
import { parseSabotage } from './sabotage.ts';
import type { Sabotage } from './sabotage.ts';

/** How long a graceful stop may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 4000;
/** How long to wait for database connections to close during a stop. */
const POOL_END_WAIT_MS = 1000;

function fatal(msg: string, error: unknown): never {
  const fields: Record<string, unknown> = { level: 60, time: Date.now(), msg };
  if (error instanceof Error) {
    fields.error = error.message;
    if ('problems' in error) fields.problems = error.problems;
    if ('details' in error) fields.details = error.details;
  } else {
    fields.error = String(error);
  }
  process.stderr.write(`${JSON.stringify(fields)}\n`);
  process.exit(1);
}

let config: AppConfig;
let sabotage: Sabotage;
try {
  config = loadConfig(process.env);
  sabotage = parseSabotage(process.env);
} catch (error) {
  fatal('cannot start', error);
}

const logger = pino({ level: config.logLevel });
if (sabotage.size > 0) {
  logger.warn({ sabotage: [...sabotage] }, 'sabotage switches are on: this process is broken on purpose for a test');
}

const pool = createDbPool(config, logger.child({ component: 'db' }));
const metrics = createMetrics({ poolStats: () => poolStats(pool), processMetrics: true });
const app = buildApp({ checkDb: createDbCheck(pool, config.healthDbTimeoutMs), sabotage, logger, metrics });

try {
  await app.listen({ host: config.host, port: config.port });
} catch (error) {
  await pool.end().catch(() => undefined);
  fatal(`cannot listen on ${config.host}:${config.port}`, error);
}

const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : config.port;
logger.info(
  {
    host: config.host,
    port,
    url: `http://${config.host}:${port}`,
    database: maskDatabaseUrl(config.databaseUrl),
    poolMax: config.dbPoolMax + config.dbPoolBurst,
    sabotage: [...sabotage],
  },
  'listening',
);

let stopping = false;
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  // A database that hangs must not hold the process forever.
  setTimeout(() => {
    logger.error({ graceMs: SHUTDOWN_GRACE_MS }, 'graceful stop took too long; exiting');
    process.exit(1);
  }, SHUTDOWN_GRACE_MS).unref();
  void (async () => {
    try {
      await app.close();
      // Closing a connection waits for the server's goodbye; a paused or
      // unreachable database never sends it, so do not wait long for it.
      await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, POOL_END_WAIT_MS).unref())]);
      logger.info('stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'graceful stop failed');
      process.exit(1);
    }
  })();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
