/**
 * Startup against a database that may not be up yet (§6 init_db: "retry 3x
 * with backoff on connection refused"). The first attempt runs at once; each
 * retry waits the next delay of the list, so the default 1 s, 2 s, 4 s means
 * four attempts over about seven seconds. Errors that waiting cannot fix
 * (bad password, missing database) fail at once.
 */
import type pg from 'pg';
import { isWorthWaitingFor } from './dead-connection.ts';
import { migrate } from './migrate.ts';
import type { MigrationLogger, MigrationReport } from './migrate.ts';
import type { PoolLogger } from './pool.ts';

/** The seed's backoff: retry after 1 s, then 2 s, then 4 s. */
export const DEFAULT_STARTUP_RETRY_DELAYS_MS: readonly number[] = [1000, 2000, 4000];

export interface WaitForDatabaseOptions {
  /** Delay before each retry; its length is the number of retries. Default DEFAULT_STARTUP_RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
  log?: PoolLogger;
}

/** The database could not be reached at startup. */
export class DatabaseUnavailableError extends Error {
  /** Connection attempts made, the first one included. */
  readonly attempts: number;

  constructor(attempts: number, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`database unreachable after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`, { cause });
    this.name = 'DatabaseUnavailableError';
    this.attempts = attempts;
  }
}

/** Runs `SELECT 1` until it works, retrying as described above. Resolves with the number of attempts it took. */
export async function waitForDatabase(pool: pg.Pool, options: WaitForDatabaseOptions = {}): Promise<{ attempts: number }> {
  const delays = options.retryDelaysMs ?? DEFAULT_STARTUP_RETRY_DELAYS_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await pool.query('SELECT 1');
      return { attempts: attempt };
    } catch (error) {
      const delay = delays[attempt - 1];
      if (!isWorthWaitingFor(error) || delay === undefined) throw new DatabaseUnavailableError(attempt, error);
      options.log?.warn(
        { attempt, retryInMs: delay, error: { message: error instanceof Error ? error.message : String(error) } },
        'database not reachable yet; retrying',
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export interface InitDatabaseOptions extends WaitForDatabaseOptions {
  migrationLog?: MigrationLogger;
}

/** init_db: wait for the database, then bring its schema up to date. */
export async function initDatabase(pool: pg.Pool, options: InitDatabaseOptions = {}): Promise<{ attempts: number; migrations: MigrationReport }> {
  const { attempts } = await waitForDatabase(pool, options);
  const migrations = await migrate(pool, options.migrationLog ? { log: options.migrationLog } : {});
  return { attempts, migrations };
}
