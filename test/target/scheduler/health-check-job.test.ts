/**
 * L7 health_check job, run by the real scheduler against real PostgreSQL (its
 * job log) and the real Telegram simulator (getMe through createBotReachability):
 * ok when the DB answers within 500 ms and getMe within 1 s; a failed run in
 * the job log, with the reason, when the DB check fails or times out, when
 * getMe fails, or when getMe answers but takes longer than 1 s.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Api } from 'grammy';
import { createBotReachability } from '../../../target/bot/reachability.ts';
import { createDbCheck } from '../../../target/health/db-check.ts';
import { listJobLog } from '../../../target/repos/job-log.ts';
import { healthCheckJob } from '../../../target/scheduler/jobs.ts';
import { createScheduler } from '../../../target/scheduler/scheduler.ts';
import { startTelegram, TOKEN } from '../../sims/telegram-helpers.ts';
import { closeTestDbs, createThrowawayPostgres, openTestDb } from '../support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';

let pg: ThrowawayPostgres;
before(async () => {
  pg = await createThrowawayPostgres('health-check-job');
});
after(async () => {
  await closeTestDbs();
  await pg.dispose();
});

/** A TCP server that accepts connections and never answers: a hung PostgreSQL. */
async function hungServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('L7 health_check: ok (logged ok) when the DB answers < 500 ms and getMe < 1 s', async () => {
  const { db, pool } = openTestDb(await pg.createMigratedDatabase());
  const tg = await startTelegram();
  try {
    // getMe a little slow but under the 1 s limit: still ok.
    tg.control.setLatency({ fixed_ms: 500, jitter_ms: 0 });
    const bot = createBotReachability(new Api(TOKEN, { apiRoot: tg.url }), { timeoutMs: 3000, cacheMs: 0 });
    const scheduler = createScheduler({ db, jobs: [healthCheckJob({ checkDb: createDbCheck(pool, 500), bot })] });
    assert.equal(await scheduler.runNow('health_check'), 'ok');
    const [entry] = await listJobLog(db, 'health_check');
    assert.equal(entry?.status, 'ok');
    assert.match(entry?.detail ?? '', /^db [\d.]+ ms, getMe \d+ ms$/);
    assert.equal(tg.control.counters().calls.getMe, 1, 'getMe was really asked');
  } finally {
    await tg.close();
  }
});

test('L7 health_check: DB down or hung → failed in the job log with the DB reason', async () => {
  const { db } = openTestDb(await pg.createMigratedDatabase());
  const tg = await startTelegram();
  const hung = await hungServer();
  // The job log lives in a healthy database; only the checked database is broken.
  const refused = openTestDb('postgres://postgres@127.0.0.1:1/none', { connectTimeoutMs: 300 });
  const hungDb = openTestDb(`postgres://postgres@127.0.0.1:${hung.port}/postgres`, { connectTimeoutMs: 5000 });
  try {
    const bot = createBotReachability(new Api(TOKEN, { apiRoot: tg.url }), { cacheMs: 0 });

    const refusedScheduler = createScheduler({ db, jobs: [healthCheckJob({ checkDb: createDbCheck(refused.pool, 500), bot })] });
    assert.equal(await refusedScheduler.runNow('health_check'), 'failed');
    const [down] = await listJobLog(db, 'health_check');
    assert.equal(down?.status, 'failed');
    assert.match(down?.detail ?? '', /health check failed: db: .*ECONNREFUSED/);
    assert.doesNotMatch(down?.detail ?? '', /getMe/, 'the bot was fine');

    const hungScheduler = createScheduler({ db, jobs: [healthCheckJob({ checkDb: createDbCheck(hungDb.pool, 500), bot })] });
    const started = Date.now();
    assert.equal(await hungScheduler.runNow('health_check'), 'failed');
    assert.ok(Date.now() - started < 2000, 'bounded by the 500 ms DB check');
    const [slow] = await listJobLog(db, 'health_check');
    assert.equal(slow?.status, 'failed');
    assert.match(slow?.detail ?? '', /health check failed: db: timeout after \d+(\.\d+)? ms/);
  } finally {
    await tg.close();
    await hung.close();
  }
});

test('L7 health_check: getMe slower than 1 s, or failing → failed in the job log with the getMe reason', async () => {
  const { db, pool } = openTestDb(await pg.createMigratedDatabase());
  const tg = await startTelegram();
  try {
    // The reachability bound is raised so getMe answers (ok) after 1.3 s: the job's own 1 s rule must catch it.
    const patient = createBotReachability(new Api(TOKEN, { apiRoot: tg.url }), { timeoutMs: 5000, cacheMs: 0 });
    const scheduler = createScheduler({ db, jobs: [healthCheckJob({ checkDb: createDbCheck(pool, 500), bot: patient })] });
    tg.control.setLatency({ fixed_ms: 1300, jitter_ms: 0 });
    assert.equal(await scheduler.runNow('health_check'), 'failed');
    const [slow] = await listJobLog(db, 'health_check');
    assert.equal(slow?.status, 'failed');
    assert.match(slow?.detail ?? '', /health check failed: getMe: \d+ ms > 1000 ms/);
    assert.doesNotMatch(slow?.detail ?? '', /db:/, 'the DB was fine');

    tg.control.setLatency({ fixed_ms: 0, jitter_ms: 0 });
    tg.control.forceError({ error_code: 502, methods: ['getMe'] });
    assert.equal(await scheduler.runNow('health_check'), 'failed');
    const [bad] = await listJobLog(db, 'health_check');
    assert.equal(bad?.status, 'failed');
    assert.match(bad?.detail ?? '', /health check failed: getMe: getMe failed: 502/);

    // A check that throws instead of answering is a failure too, not a crash.
    const throwing = createScheduler({ db, jobs: [healthCheckJob({ checkDb: createDbCheck(pool, 500), bot: { check: () => Promise.reject(new Error('boom')) } })] });
    assert.equal(await throwing.runNow('health_check'), 'failed');
    assert.match((await listJobLog(db, 'health_check'))[0]?.detail ?? '', /getMe: boom/);

    assert.equal(await scheduler.runNow('health_check'), 'ok', 'healthy again');
    assert.equal((await listJobLog(db, 'health_check'))[0]?.status, 'ok');
  } finally {
    await tg.close();
  }
});
