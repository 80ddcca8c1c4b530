/**
 * A throwaway PostgreSQL cluster for one test file: created in `before`,
 * removed in `after`. Each test gets its own database, cloned from a migrated
 * template, so tests cannot see each other's rows and cloning costs a few
 * milliseconds instead of a migration run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import assert from 'node:assert/strict';
import { after, before, type TestContext } from 'node:test';
import { freePort } from '../../../cli/stack/free-port.ts';
import { findPostgresBinDir, PostgresCluster } from '../../../cli/stack/postgres-cluster.ts';
import { createDb } from '../../../target/db/handle.ts';
import type { Db } from '../../../target/db/handle.ts';
import { migrate } from '../../../target/db/migrate.ts';
import { createDbPool } from '../../../target/db/pool.ts';
import type { Sabotage } from '../../../target/sabotage.ts';
import { NO_SABOTAGE, parseSabotage } from '../../../target/sabotage.ts';

const TEMPLATE = 'chaosctl_migrated_template';

export interface ThrowawayPostgres {
  cluster: PostgresCluster;
  /** Holds the cluster's log; removed by dispose(). */
  workDir: string;
  /** The `postgres` database, for admin work (pg_terminate_backend, CREATE DATABASE). */
  adminUrl: string;
  /** A new empty database; its URL. */
  createEmptyDatabase(): Promise<string>;
  /** A new database with every migration applied; its URL. */
  createMigratedDatabase(): Promise<string>;
  /** Runs one statement on the admin database. */
  admin<R extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Stops and deletes the cluster and the work folder. Safe to call twice. */
  dispose(): Promise<void>;
}

export interface ThrowawayOptions {
  /** Start the cluster right away (default true). */
  start?: boolean;
}

export async function createThrowawayPostgres(label: string, options: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), `chaosctl-${label}-test-`));
  let cluster: PostgresCluster;
  try {
    cluster = await PostgresCluster.create({ binDir: await findPostgresBinDir(), port: await freePort(), logFile: path.join(workDir, 'postgres.log') });
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  if (options.start ?? true) await cluster.start();

  let databases = 0;
  let template: Promise<void> | null = null;
  let disposed = false;

  const urlOf = (database: string): string => `postgres://postgres@127.0.0.1:${cluster.info.port}/${database}`;

  const admin = async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<pg.QueryResult<R>> => {
    const client = new pg.Client({ connectionString: cluster.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await client.query<R>(text, params);
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const createEmptyDatabase = async (): Promise<string> => {
    databases += 1;
    const name = `t${databases}_${process.pid}`;
    await admin(`CREATE DATABASE ${name} TEMPLATE template0`);
    return urlOf(name);
  };

  const buildTemplate = async (): Promise<void> => {
    await admin(`CREATE DATABASE ${TEMPLATE} TEMPLATE template0`);
    const pool = new pg.Pool({ connectionString: urlOf(TEMPLATE), max: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
  };

  const createMigratedDatabase = async (): Promise<string> => {
    template ??= buildTemplate();
    await template;
    databases += 1;
    const name = `t${databases}_${process.pid}`;
    await admin(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
    return urlOf(name);
  };

  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    try {
      await cluster.remove();
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  };

  return { cluster, workDir, adminUrl: cluster.url, createEmptyDatabase, createMigratedDatabase, admin, dispose };
}

export interface TestDb {
  db: Db;
  pool: pg.Pool;
  /** Pool warnings (idle connections that died), for assertions. */
  warnings: string[];
}

export interface TestDbOptions {
  /** Comma-separated switches, as in CHAOSCTL_SABOTAGE. */
  sabotage?: string;
  /** Steady connections (default 10) and burst (default 20), as in production. */
  poolMax?: number;
  poolBurst?: number;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** Pools made by openTestDb, ended by closeTestDbs(). */
const openPools = new Set<pg.Pool>();

/** A pool built exactly like the target's (createDbPool) and the Db handle around it. */
export function openTestDb(url: string, options: TestDbOptions = {}): TestDb {
  const warnings: string[] = [];
  const pool = createDbPool(
    {
      databaseUrl: url,
      dbPoolMax: options.poolMax ?? 10,
      dbPoolBurst: options.poolBurst ?? 20,
      dbConnectTimeoutMs: options.connectTimeoutMs ?? 5000,
      dbStatementTimeoutMs: options.statementTimeoutMs ?? 20_000,
    },
    { warn: (_fields, msg) => warnings.push(msg) },
  );
  openPools.add(pool);
  const sabotage: Sabotage = options.sabotage ? parseSabotage({ CHAOSCTL_SABOTAGE: options.sabotage }) : NO_SABOTAGE;
  return { db: createDb(pool, sabotage), pool, warnings };
}

/** The same pool seen with other sabotage switches on. */
export function withSabotage(db: Db, switches: string): Db {
  return createDb(db.pool, parseSabotage({ CHAOSCTL_SABOTAGE: switches }));
}

/** Gives up on a pool.end() that hangs (a connection whose peer never answers) after this long. */
const POOL_END_WAIT_MS = 3000;

/**
 * Ends every pool openTestDb made. Each end is bounded: a promise that never
 * settles, with nothing else keeping the event loop alive, would let the
 * process exit in the middle of `after` and leak the cluster.
 */
/** Ends one pool made by openTestDb (bounded, like closeTestDbs). */
export async function closeTestDb(pool: pg.Pool): Promise<void> {
  if (!openPools.delete(pool)) return;
  await settleWithin(pool.end(), POOL_END_WAIT_MS);
}

export async function closeTestDbs(): Promise<void> {
  const pools = [...openPools];
  openPools.clear();
  await Promise.all(pools.map((pool) => settleWithin(pool.end(), POOL_END_WAIT_MS)));
}

/** Waits for `promise` (ignoring its outcome) for at most `ms`; the timer keeps the process alive meanwhile. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise.then(
    () => undefined,
    () => undefined,
  ), timeout]);
  clearTimeout(timer);
}

/**
 * The usual setup of a test file: one cluster for the file (created in `before`,
 * removed in `after`) and a fresh migrated database per test, whose pool ends
 * with the test. Returns the function a test calls to get its database.
 */
export function useMigratedDatabases(label: string): (t: TestContext) => Promise<Db> {
  let cluster: ThrowawayPostgres | undefined;
  before(async () => {
    cluster = await createThrowawayPostgres(label);
  });
  after(async () => {
    await closeTestDbs();
    await cluster?.dispose();
  });
  return async (t) => {
    assert.ok(cluster, 'the cluster was not created');
    const { db, pool } = openTestDb(await cluster.createMigratedDatabase());
    t.after(() => closeTestDb(pool));
    return db;
  };
}
