/**
 * The target's PostgreSQL pool. It is created without connecting, so the target
 * starts (and answers /health with 503) while the database is down.
 *
 * Beside pg-pool's own bookkeeping, every pool made here tracks a connection
 * "generation", our stand-in for SQLAlchemy's pool_pre_ping plus pool
 * invalidation: when a statement finds its connection dead, every connection
 * opened before that moment is suspect, and `acquireClient` throws suspects
 * away instead of handing them out. A retry after a dead connection therefore
 * always runs on a connection opened after the failure.
 */
import pg from 'pg';
import type { AppConfig } from '../config.ts';
import { isDeadConnectionError } from './dead-connection.ts';

/** The part of a pino logger the pool needs. */
export interface PoolLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
}

export type DbPoolConfig = Pick<AppConfig, 'databaseUrl' | 'dbPoolMax' | 'dbPoolBurst' | 'dbConnectTimeoutMs' | 'dbStatementTimeoutMs'>;

/** A snapshot of the pool for logs and metrics (B1: watch `waiting`). */
export interface PoolStats {
  /** Open connections, busy or idle. */
  total: number;
  idle: number;
  /** Callers queued for a connection. */
  waiting: number;
  /** Hard limit: DB_POOL_MAX + DB_POOL_BURST. */
  max: number;
  /** Call-level retries (a statement, a connection checkout or a whole unit of work run again) after a connection-level failure. */
  deadConnectionRetries: number;
  /** Pooled connections thrown away unused because they were opened before a connection was found dead. */
  staleConnectionsDiscarded: number;
}

interface ConnectionTracking {
  /** Raised when a connection of the current generation is found dead. */
  generation: number;
  /** The generation each client was opened in. A client missing here predates the tracking: generation 0. */
  readonly openedIn: WeakMap<pg.ClientBase, number>;
  deadConnectionRetries: number;
  staleConnectionsDiscarded: number;
}

/** Tracking state of each pool, keyed by the pool object itself (it dies with the pool). */
const trackingByPool = new WeakMap<pg.Pool, ConnectionTracking>();

/** Starts tracking `pool` (idempotent). createDbPool does this; pools made elsewhere get it on first use. */
function tracking(pool: pg.Pool): ConnectionTracking {
  const existing = trackingByPool.get(pool);
  if (existing) return existing;
  const created: ConnectionTracking = { generation: 0, openedIn: new WeakMap(), deadConnectionRetries: 0, staleConnectionsDiscarded: 0 };
  trackingByPool.set(pool, created);
  pool.on('connect', (client: pg.PoolClient) => {
    created.openedIn.set(client, created.generation);
    // pg-pool listens for errors only while a client is idle. A checked-out
    // client whose socket dies between two statements would otherwise raise
    // an unhandled 'error' event and take the process down; the failure
    // reaches its user through the next statement instead.
    client.on('error', ignoreClientError);
  });
  return created;
}

function ignoreClientError(): void {
  // See the comment where this is attached.
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
  tracking(pool);
  return pool;
}

export function poolStats(pool: pg.Pool): PoolStats {
  const tracked = tracking(pool);
  return {
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
    max: pool.options.max,
    deadConnectionRetries: tracked.deadConnectionRetries,
    staleConnectionsDiscarded: tracked.staleConnectionsDiscarded,
  };
}

/**
 * Checks a client out of the pool, first throwing away any idle client opened
 * before the last dead connection was seen. Waits at most the pool's
 * connection timeout for each checkout.
 */
export async function acquireClient(pool: pg.Pool): Promise<pg.PoolClient> {
  const tracked = tracking(pool);
  // Every discard destroys one stale client and new clients are never stale,
  // so this ends; the bound only guards against a generation storm.
  for (let discarded = 0; ; discarded += 1) {
    const client = await pool.connect();
    const openedIn = tracked.openedIn.get(client) ?? 0;
    if (openedIn >= tracked.generation || discarded > pool.options.max) return client;
    tracked.staleConnectionsDiscarded += 1;
    client.release(true);
  }
}

/**
 * Gives a client back. `failure` is the error the client's last statement
 * failed with, if any: a dead connection destroys the client and marks every
 * connection opened up to then as suspect; other failures (a constraint
 * violation, a statement timeout) leave a healthy connection that goes back
 * to the pool. Pass `destroy` when the session state is unknown (a failed
 * ROLLBACK) and the client must not be reused.
 */
export function releaseClient(pool: pg.Pool, client: pg.PoolClient, failure?: unknown, destroy = false): void {
  if (failure !== undefined && isDeadConnectionError(failure)) {
    const tracked = tracking(pool);
    // Only the first failure of a generation raises it: connections opened by
    // the retries after that failure must not become suspect in turn.
    tracked.generation = Math.max(tracked.generation, (tracked.openedIn.get(client) ?? 0) + 1);
    client.release(failure instanceof Error ? failure : true);
    return;
  }
  if (destroy) {
    client.release(failure instanceof Error ? failure : true);
    return;
  }
  client.release();
}

/** Counts one retry after a dead connection, for poolStats. */
export function countDeadConnectionRetry(pool: pg.Pool): void {
  tracking(pool).deadConnectionRetries += 1;
}
