/**
 * The target's PostgreSQL pool. It is created without connecting, so the target
 * starts (and answers /health with 503) while the database is down.
 */
import pg from 'pg';
import type { AppConfig } from '../config.ts';

/** The part of a pino logger the pool needs. */
export interface PoolLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
}

export type DbPoolConfig = Pick<AppConfig, 'databaseUrl' | 'dbPoolMax' | 'dbPoolBurst' | 'dbConnectTimeoutMs' | 'dbStatementTimeoutMs'>;

/** A snapshot of the pool for logs and metrics. */
export interface PoolStats {
  /** Open connections, busy or idle. */
  total: number;
  idle: number;
  /** Callers queued for a connection. */
  waiting: number;
  /** Hard limit: DB_POOL_MAX + DB_POOL_BURST. */
  max: number;
}

export function createDbPool(config: DbPoolConfig, log: PoolLogger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: config.dbPoolMax + config.dbPoolBurst,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    statement_timeout: config.dbStatementTimeoutMs,
    keepAlive: true,
    application_name: 'chaosctl-target',
  });
  // An idle connection that dies (PostgreSQL stopped, proxy cut) is reported
  // here. pg-pool has already dropped it; without a listener the EventEmitter
  // would throw and take the whole process down.
  pool.on('error', (error: Error & { code?: string }) => {
    log.warn({ error: { message: error.message, code: error.code } }, 'idle database connection failed; the pool dropped it');
  });
  return pool;
}

export function poolStats(pool: pg.Pool): PoolStats {
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max };
}
