/**
 * The database check behind GET /health: `SELECT 1` with a hard time bound.
 *
 * A hung database (paused server, a Toxiproxy timeout toxic) must give a fast
 * "no", not a health endpoint that hangs with it. Callers that arrive while a
 * check runs share it, so a burst of health probes costs one query.
 */
import type pg from 'pg';

export interface DbCheckResult {
  ok: boolean;
  /** Time the check took, in milliseconds (up to the bound when it timed out). */
  latencyMs: number;
  /** Why the check failed: 'timeout' or the driver's message. */
  error?: string;
}

export type DbCheck = () => Promise<DbCheckResult>;

const ABANDONED = 'health check abandoned after its time bound';

/** The light query a health check should run. */
export const LIGHT_QUERY = 'SELECT 1';
/** What the `health-slow-check` sabotage runs instead: a health check someone made heavy (about 250 ms). */
export const HEAVY_QUERY = 'SELECT pg_sleep(0.25)';

/**
 * A single-flight check bounded by `timeoutMs`. `unbounded` is the `health-db-unbounded`
 * sabotage: the check waits for the database however long it takes, so a hung database
 * hangs /health with it (a stopped one still fails fast: its connection is refused).
 */
export function createDbCheck(pool: pg.Pool, timeoutMs: number, options: { heavy?: boolean; unbounded?: boolean } = {}): DbCheck {
  let inflight: Promise<DbCheckResult> | null = null;
  const query = options.heavy ? HEAVY_QUERY : LIGHT_QUERY;
  const boundMs = options.unbounded ? null : timeoutMs;
  return () => {
    inflight ??= boundedCheck(pool, boundMs, query).finally(() => {
      inflight = null;
    });
    return inflight;
  };
}

async function boundedCheck(pool: pg.Pool, timeoutMs: number | null, query: string): Promise<DbCheckResult> {
  const started = performance.now();
  const latencyMs = (): number => Math.round((performance.now() - started) * 10) / 10;
  const held: { client: pg.PoolClient | null; released: boolean; abandoned: boolean } = { client: null, released: false, abandoned: false };

  const releaseOnce = (client: pg.PoolClient, error?: Error): void => {
    if (held.released) return;
    held.released = true;
    // A healthy client goes back to the pool and is reused by the next check: take our
    // listener off, or every check would add one more. A discarded client keeps it, since
    // its dying socket may still emit an error.
    if (!error) client.off('error', ignoreError);
    client.release(error);
  };

  const attempt = (async (): Promise<void> => {
    const client = await pool.connect();
    // A checked-out client has no error listener of the pool's; a socket error
    // while we hold it would otherwise be an uncaught 'error' event.
    client.on('error', ignoreError);
    if (held.abandoned) {
      discard(client, releaseOnce);
      return;
    }
    held.client = client;
    try {
      await client.query(query);
      releaseOnce(client);
    } catch (error) {
      releaseOnce(client, asError(error));
      throw error;
    }
  })();

  let timer: NodeJS.Timeout | undefined;
  // No bound (the sabotage): a promise that never settles, so the race waits for the database alone.
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (timeoutMs !== null) timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([attempt.then(() => 'ok' as const), timedOut]);
    if (outcome === 'ok') return { ok: true, latencyMs: latencyMs() };
    held.abandoned = true;
    if (held.client) discard(held.client, releaseOnce);
    return { ok: false, latencyMs: latencyMs(), error: 'timeout' };
  } catch (error) {
    return { ok: false, latencyMs: latencyMs(), error: asError(error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Drops a connection whose query we gave up on. Releasing with an error makes
 * the pool forget it; destroying the socket frees it now instead of whenever
 * the hung peer answers (possibly never, with a timeout toxic).
 */
function discard(client: pg.PoolClient, releaseOnce: (client: pg.PoolClient, error?: Error) => void): void {
  releaseOnce(client, new Error(ABANDONED));
  client.connection.stream.destroy();
}

function ignoreError(): void {
  // The failure reaches the check through the query's rejection.
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
