/**
 * GET /health against a real throwaway PostgreSQL cluster: up, stopped, paused,
 * hung, and with the health-db-check sabotage on. Also the target's config and
 * sabotage parsing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { freePort } from '../../cli/stack/free-port.ts';
import { findPostgresBinDir, PostgresCluster } from '../../cli/stack/postgres-cluster.ts';
import { ConfigError, loadConfig, maskDatabaseUrl } from '../../target/config.ts';
import { createDbPool, poolStats } from '../../target/db/pool.ts';
import { createDbCheck } from '../../target/health/db-check.ts';
import type { DbCheck } from '../../target/health/db-check.ts';
import { buildApp } from '../../target/http/app.ts';
import type { HealthBody } from '../../target/http/app.ts';
import { NO_SABOTAGE, parseSabotage, SabotageError } from '../../target/sabotage.ts';

const HEALTH_TIMEOUT_MS = 300;
/** Scheduling slack on a busy 2-core machine. */
const MARGIN_MS = 400;

const workDir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-health-test-'));
let cluster: PostgresCluster | undefined;
let pool: pg.Pool | undefined;
const poolWarnings: string[] = [];

function requireCluster(): PostgresCluster {
  assert.ok(cluster, 'the cluster was not created');
  return cluster;
}

function makePool(databaseUrl: string): pg.Pool {
  return createDbPool(
    { databaseUrl, dbPoolMax: 2, dbPoolBurst: 1, dbConnectTimeoutMs: 2000, dbStatementTimeoutMs: 5000 },
    { warn: (_fields, msg) => poolWarnings.push(msg) },
  );
}

async function getHealth(checkDb: DbCheck, sabotage = NO_SABOTAGE): Promise<{ status: number; body: HealthBody; ms: number }> {
  const app = buildApp({ checkDb, sabotage });
  try {
    const started = performance.now();
    const response = await app.inject({ method: 'GET', url: '/health' });
    return { status: response.statusCode, body: response.json<HealthBody>(), ms: performance.now() - started };
  } finally {
    await app.close();
  }
}

async function pollUntil(predicate: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return predicate();
}

before(async () => {
  process.env.CHAOSCTL_STATE_DIR = workDir;
  const binDir = await findPostgresBinDir();
  cluster = await PostgresCluster.create({ binDir, port: await freePort(), logFile: path.join(workDir, 'postgres.log') });
  await cluster.start();
  pool = makePool(cluster.url);
});

after(async () => {
  await pool?.end().catch(() => undefined);
  await cluster?.remove();
  rmSync(workDir, { recursive: true, force: true });
});

test('GET /health answers 200 with the database latency when PostgreSQL is up', async () => {
  assert.ok(pool);
  const { status, body } = await getHealth(createDbCheck(pool, HEALTH_TIMEOUT_MS));
  assert.equal(status, 200);
  assert.equal(body.status, 'ok');
  assert.equal(body.components.db.ok, true);
  assert.equal(typeof body.components.db.latencyMs, 'number');
  assert.equal(poolStats(pool).idle, 1, 'the checked connection went back to the pool');
});

test('GET /health answers 503 in under 1 s once PostgreSQL is stopped, and the idle connection error does not crash', async () => {
  assert.ok(pool);
  await requireCluster().stop();
  assert.ok(await pollUntil(() => poolWarnings.length > 0, 2000), 'the pool reported its dead idle connection');

  const { status, body, ms } = await getHealth(createDbCheck(pool, HEALTH_TIMEOUT_MS));
  assert.equal(status, 503);
  assert.equal(body.status, 'fail');
  assert.equal(body.components.db.ok, false);
  assert.ok(body.components.db.error, 'the failure says why');
  assert.ok(ms < 1000, `503 took ${ms.toFixed(0)} ms`);
});

test('sabotage health-db-check: 200 with PostgreSQL stopped, without asking it', async () => {
  assert.ok(pool);
  assert.equal(await requireCluster().state(), 'stopped');
  const realCheck = createDbCheck(pool, HEALTH_TIMEOUT_MS);
  let calls = 0;
  const countingCheck: DbCheck = () => {
    calls += 1;
    return realCheck();
  };
  const { status, body } = await getHealth(countingCheck, parseSabotage({ CHAOSCTL_SABOTAGE: 'health-db-check' }));
  assert.equal(status, 200);
  assert.equal(body.components.db.ok, true);
  assert.equal(calls, 0, 'the sabotaged endpoint never queried the database');
});

test('GET /health is 200 again once PostgreSQL is back', async () => {
  assert.ok(pool);
  await requireCluster().start();
  const check = createDbCheck(pool, HEALTH_TIMEOUT_MS);
  const { status } = await getHealth(check);
  assert.equal(status, 200);
});

test('a paused PostgreSQL gives 503 "timeout" within the bound, and 200 after it resumes', async () => {
  assert.ok(pool);
  const check = createDbCheck(pool, HEALTH_TIMEOUT_MS);
  assert.equal((await getHealth(check)).status, 200);
  await requireCluster().pause();
  try {
    const { status, body, ms } = await getHealth(check);
    assert.equal(status, 503);
    assert.equal(body.components.db.error, 'timeout');
    assert.ok(ms >= HEALTH_TIMEOUT_MS - 5 && ms < HEALTH_TIMEOUT_MS + MARGIN_MS, `503 took ${ms.toFixed(0)} ms`);
  } finally {
    await requireCluster().resume();
  }
  assert.ok(await pollUntil(async () => (await getHealth(check)).status === 200, 5000), 'healthy again after resume');
  assert.ok(poolStats(pool).total <= 2, `abandoned connections were dropped (pool holds ${poolStats(pool).total})`);
});

test('a database that accepts and never answers gives 503 within the bound; concurrent callers share one check', async (t) => {
  const sockets = new Set<net.Socket>();
  const hung = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const address = hung.address();
  assert.ok(address && typeof address === 'object');
  const hungPool = makePool(`postgres://postgres@127.0.0.1:${address.port}/postgres`);
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => hung.close(resolve));
    await hungPool.end();
  });

  const app = buildApp({ checkDb: createDbCheck(hungPool, HEALTH_TIMEOUT_MS), sabotage: NO_SABOTAGE });
  t.after(() => app.close());
  const started = performance.now();
  const responses = await Promise.all(Array.from({ length: 10 }, () => app.inject({ method: 'GET', url: '/health' })));
  const ms = performance.now() - started;

  for (const response of responses) {
    assert.equal(response.statusCode, 503);
    assert.equal(response.json<HealthBody>().components.db.error, 'timeout');
  }
  assert.ok(ms < HEALTH_TIMEOUT_MS + MARGIN_MS, `10 concurrent checks took ${ms.toFixed(0)} ms`);
  assert.equal(sockets.size, 1, 'ten concurrent requests opened one connection');
});

test('sabotage health-db-unbounded: the check waits for a hung database instead of giving up at its bound', async (t) => {
  const sockets = new Set<net.Socket>();
  const hung = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  const address = hung.address();
  assert.ok(address && typeof address === 'object');
  const hungPool = makePool(`postgres://postgres@127.0.0.1:${address.port}/postgres`);
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => hung.close(resolve));
    await hungPool.end();
  });

  const check = createDbCheck(hungPool, HEALTH_TIMEOUT_MS, { unbounded: true });
  const waitMs = HEALTH_TIMEOUT_MS + MARGIN_MS;
  const outcome = await Promise.race([check().then(() => 'answered'), new Promise((resolve) => setTimeout(() => resolve('still waiting'), waitMs))]);
  assert.equal(outcome, 'still waiting', `the unbounded check gave an answer within ${waitMs} ms`);
});

test('parseSabotage: empty, known, duplicates', () => {
  assert.equal(parseSabotage({}).size, 0);
  assert.equal(parseSabotage({ CHAOSCTL_SABOTAGE: ' , ' }).size, 0);
  const on = parseSabotage({ CHAOSCTL_SABOTAGE: ' health-db-check ,health-db-check' });
  assert.deepEqual([...on], ['health-db-check']);
});

test('parseSabotage rejects an unknown switch and names the known ones', () => {
  assert.throws(
    () => parseSabotage({ CHAOSCTL_SABOTAGE: 'health-db-check,no-such-switch' }),
    (error: unknown) => error instanceof SabotageError && /no-such-switch/.test(error.message) && error.details.some((d) => d.startsWith('health-db-check')),
  );
});

test('parseSabotage refuses any switch under NODE_ENV=production', () => {
  assert.throws(
    () => parseSabotage({ CHAOSCTL_SABOTAGE: 'health-db-check', NODE_ENV: 'production' }),
    (error: unknown) => error instanceof SabotageError && /production/.test(error.message),
  );
  assert.equal(parseSabotage({ NODE_ENV: 'production' }).size, 0, 'production without sabotage is fine');
});

test('loadConfig: defaults, every problem at once, and a masked password', () => {
  const config = loadConfig({ DATABASE_URL: 'postgres://u:secret@127.0.0.1:5432/db' });
  assert.deepEqual(
    { ...config, databaseUrl: undefined },
    {
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dbPoolMax: 10,
      dbPoolBurst: 20,
      dbConnectTimeoutMs: 2000,
      dbStatementTimeoutMs: 30000,
      healthDbTimeoutMs: 300,
      logLevel: 'info',
      controlToken: undefined,
      telegram: { token: undefined, apiRoot: 'https://api.telegram.org', adminIds: [], throttlePerMinute: 30, throttleWindowMs: 60_000, fsmTtlMs: 86_400_000, mode: 'polling', webhookUrl: undefined, webhookSecret: undefined, maxConcurrentUpdates: 25 },
      redisUrl: undefined,
      yookassa: { apiUrl: 'https://api.yookassa.ru/v3', shopId: undefined, secretKey: undefined, allowedIps: undefined },
      cryptopay: { apiUrl: 'https://pay.crypt.bot/api', token: undefined },
      scheduler: { autostart: true, remindersIntervalMs: 60_000, analyticsIntervalMs: 3_600_000, healthCheckIntervalMs: 300_000, misfireGraceMs: 300_000 },
      monitorIntervalMs: 30_000,
      alerts: { dbDownCooldownMs: 300_000, schedulerCooldownMs: 900_000, botCooldownMs: 300_000, flushIntervalMs: 15_000 },
    },
    'the seed\'s values are the defaults',
  );
  const tuned = loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1/db', ADMIN_IDS: '100000001, 100000002', MONITOR_INTERVAL_MS: '500', SCHEDULER_AUTOSTART: 'false', BOT_MAX_CONCURRENT_UPDATES: '1' });
  assert.deepEqual(tuned.telegram.adminIds, [100000001, 100000002]);
  assert.equal(tuned.telegram.maxConcurrentUpdates, 1);
  assert.equal(tuned.monitorIntervalMs, 500);
  assert.equal(tuned.scheduler.autostart, false);
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'postgres://u@127.0.0.1/db', ADMIN_IDS: '1,abc', MONITOR_INTERVAL_MS: '1', BOT_MAX_CONCURRENT_UPDATES: '0' }),
    (error: unknown) => error instanceof ConfigError && error.problems.length === 3,
  );
  assert.throws(
    () => loadConfig({ PORT: 'x', DB_POOL_MAX: '0', LOG_LEVEL: 'loud' }),
    (error: unknown) => error instanceof ConfigError && error.problems.length === 4,
  );
  assert.equal(maskDatabaseUrl('postgres://u:secret@127.0.0.1:5432/db'), 'postgres://u:***@127.0.0.1:5432/db');
  assert.ok(!maskDatabaseUrl('not a url with secret').includes('secret'));
});

test('repeated checks on a reused pooled client do not pile up error listeners', async () => {
  const db = requireCluster();
  const single = createDbPool({ databaseUrl: db.url, dbPoolMax: 1, dbPoolBurst: 0, dbConnectTimeoutMs: 2000, dbStatementTimeoutMs: 5000 }, { warn: () => undefined });
  try {
    const check = createDbCheck(single, HEALTH_TIMEOUT_MS);
    for (let i = 0; i < 30; i += 1) assert.equal((await check()).ok, true);
    const client = await single.connect();
    try {
      assert.ok(client.listenerCount('error') <= 2, `error listeners on the reused client: ${client.listenerCount('error')}`);
    } finally {
      client.release();
    }
  } finally {
    await single.end();
  }
});

test('the health-slow-check sabotage makes the check take its heavy query\'s time; the light one stays fast', async () => {
  const db = requireCluster();
  const checkPool = makePool(db.url);
  try {
    const light = await createDbCheck(checkPool, 1000)();
    const heavy = await createDbCheck(checkPool, 1000, { heavy: true })();
    assert.equal(light.ok, true);
    assert.equal(heavy.ok, true);
    assert.ok(heavy.latencyMs >= 240, `heavy check took ${heavy.latencyMs} ms`);
    assert.ok(light.latencyMs < heavy.latencyMs - 100, `light ${light.latencyMs} ms vs heavy ${heavy.latencyMs} ms`);
  } finally {
    await checkPool.end();
  }
});
