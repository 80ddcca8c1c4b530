/**
 * Schema migrations: plain SQL files `migrations/NNN_name.sql`, applied in
 * order, each in its own transaction, recorded in `schema_migrations` with a
 * checksum. A session advisory lock makes concurrent starters take turns:
 * the first applies what is missing, the others then find nothing to do.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { acquireClient, releaseClient } from './pool.ts';

/** Where the target's own migrations live. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Advisory lock key of the migrator ("chaosctl" in ASCII, read as a number). Any constant works, as long as no one else uses it. */
const MIGRATION_LOCK_KEY = '7163082338637935724';

const FILE_NAME = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export interface MigrationLogger {
  info(fields: Record<string, unknown>, msg: string): void;
}

export interface MigrateOptions {
  /** Folder of NNN_name.sql files; default MIGRATIONS_DIR. */
  dir?: string;
  log?: MigrationLogger;
}

export interface MigrationReport {
  /** File names applied by this call, in order. */
  applied: string[];
  /** How many were already applied before this call. */
  alreadyApplied: number;
}

/** The migrations on disk are inconsistent, or differ from what the database says was applied. */
export class MigrationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

/** Reads and orders the migration files; refuses stray names and duplicate numbers. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for (const file of (await readdir(dir)).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(file);
    if (!match) throw new MigrationError(`migration file ${file} must be named NNN_name.sql (lower case, digits, underscores)`);
    const sql = await readFile(path.join(dir, file), 'utf8');
    migrations.push({ version: Number(match[1]), name: match[2] ?? '', file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  for (let i = 1; i < migrations.length; i += 1) {
    const previous = migrations[i - 1];
    const current = migrations[i];
    if (previous && current && previous.version === current.version) {
      throw new MigrationError(`two migrations share number ${current.version}: ${previous.file} and ${current.file}`);
    }
  }
  return migrations;
}

type AppliedRow = { version: number; name: string; checksum: string };

/**
 * Applies every migration not yet recorded. Safe to call from several
 * processes at once, and again on every start. Throws MigrationError when an
 * applied migration's file has changed since.
 */
export async function migrate(pool: pg.Pool, options: MigrateOptions = {}): Promise<MigrationReport> {
  const migrations = await loadMigrations(options.dir);
  const client = await acquireClient(pool);
  let locked = false;
  let failure: unknown;
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    locked = true;
    return await applyMissing(client, migrations, options.log);
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    let unlockFailure: unknown;
    if (locked) {
      try {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
      } catch (error) {
        unlockFailure = error;
      }
    }
    // A session that may still hold the lock must end, which releases it.
    if (unlockFailure !== undefined) releaseClient(pool, client, unlockFailure, true);
    else releaseClient(pool, client, failure);
  }
}

async function applyMissing(client: pg.PoolClient, migrations: Migration[], log: MigrationLogger | undefined): Promise<MigrationReport> {
  await client.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  const { rows } = await client.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  const applied = new Map(rows.map((row) => [row.version, row]));

  for (const migration of migrations) {
    const row = applied.get(migration.version);
    if (row && row.checksum !== migration.checksum) {
      throw new MigrationError(
        `migration ${migration.file} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… in the database, ${migration.checksum.slice(0, 12)}… on disk); add a new migration instead`,
      );
    }
  }

  const report: MigrationReport = { applied: [], alreadyApplied: 0 };
  for (const migration of migrations) {
    if (applied.has(migration.version)) {
      report.alreadyApplied += 1;
      continue;
    }
    const started = performance.now();
    try {
      await client.query('BEGIN');
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [migration.version, migration.name, migration.checksum]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new MigrationError(`migration ${migration.file} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    report.applied.push(migration.file);
    log?.info({ migration: migration.file, ms: Math.round(performance.now() - started) }, 'migration applied');
  }
  return report;
}
