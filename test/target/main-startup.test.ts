/**
 * Seed §6 init_db ("retry 3x with backoff on connection refused") as main.ts
 * wires it: the target process is started while PostgreSQL does not accept
 * connections yet. target/db/startup.ts has its own tests
 * (test/target/db/connection-resilience.test.ts); these are about the process.
 *
 * Where the seed stops (one call, three retries), main.ts goes on: after a
 * round of four failed attempts it logs one error line and tries another round
 * 5 s later while /health answers 503, instead of exiting (docs/target.md §3,
 * "The target starts even when PostgreSQL is down").
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '../../cli/stack/free-port.ts';
import { createThrowawayPostgres } from './support/throwaway-postgres.ts';
import type { ThrowawayPostgres } from './support/throwaway-postgres.ts';
import { startTargetProcess, type LogLine, type TargetProcess } from './support/target-process.ts';

const RETRY_LINE = 'database not reachable yet; retrying';
const ROUND_FAILED_LINE = 'database unavailable at startup; trying again';

const targets: TargetProcess[] = [];
let pg: ThrowawayPostgres | undefined;
after(async () => {
  await Promise.all(targets.map((target) => target.stop()));
  await pg?.dispose();
});

async function healthStatus(target: TargetProcess): Promise<number> {
  return (await fetch(`${target.url}/health`, { signal: AbortSignal.timeout(5000) })).status;
}

const msg = (text: string) => (line: LogLine): boolean => line.msg === text;

test('§6 init_db: PostgreSQL starts after the target does; a retry of the first round gets through and the target comes up', async () => {
  pg = await createThrowawayPostgres('main-startup', { start: false });
  const target = await startTargetProcess({ DATABASE_URL: `postgres://postgres@127.0.0.1:${pg.cluster.info.port}/postgres` });
  targets.push(target);
  await target.waitForLog('listening', msg('listening'));
  assert.equal(await healthStatus(target), 503, 'up and answering, but not healthy without its database');
  const firstRetry = await target.waitForLog('the first retry', msg(RETRY_LINE));
  assert.equal(firstRetry.attempt, 1);
  assert.equal(firstRetry.retryInMs, 1000);

  await pg.cluster.start();
  const ready = await target.waitForLog('database ready', msg('database ready'), 20_000);
  assert.ok(typeof ready.attempts === 'number' && ready.attempts >= 2 && ready.attempts <= 4, `ready at attempt ${String(ready.attempts)} of the first round`);
  assert.ok(!target.lines.some(msg(ROUND_FAILED_LINE)), 'no round failed');
  const { rows } = await pg.admin<{ name: string }>('SELECT name FROM scheduler_jobs ORDER BY name');
  assert.deepEqual(rows.map((row) => row.name), ['analytics_refresh', 'habit_reminders', 'health_check'], 'migrated, and the scheduler registered its jobs');
  await target.waitForLog('the scheduler running', msg('scheduler started'));
  assert.equal(await healthStatus(target), 200);
  assert.equal(await target.stop(), 0, 'a clean stop');
});

test('§6 init_db: PostgreSQL never up: four attempts 1 s, 2 s, 4 s apart, one clear error line; the target stays up, answers 503 and tries again', async () => {
  // Nothing listens on this port: every attempt is refused.
  const target = await startTargetProcess({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/postgres` });
  targets.push(target);
  const listening = await target.waitForLog('listening', msg('listening'));
  const failed = await target.waitForLog('the failed round', msg(ROUND_FAILED_LINE), 20_000);
  const retries = target.lines.filter(msg(RETRY_LINE));
  assert.deepEqual(retries.map((line) => [line.attempt, line.retryInMs]), [[1, 1000], [2, 2000], [3, 4000]], 'three retries with the seed backoff');
  assert.equal(failed.attempts, 4, 'the first attempt and three retries');
  assert.equal(failed.level, 50, 'logged as an error');
  assert.match(String(failed.err), /unreachable after 4 attempts: .*ECONNREFUSED/);
  const roundMs = Number(failed.time) - Number(listening.time);
  assert.ok(roundMs >= 6500, `the round took ${roundMs} ms: the 1 s + 2 s + 4 s of backoff`);
  assert.equal(target.exitCode(), null, 'still running');
  assert.equal(await healthStatus(target), 503);
  await target.waitForLog('the next round', (line) => msg(RETRY_LINE)(line) && line.attempt === 1 && line !== retries[0], 10_000);
  assert.equal(await target.stop(), 0);
});
