import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../target/http/app.ts';
import { createMetrics } from '../../target/metrics/registry.ts';
import { tokensMatch } from '../../target/control/routes.ts';
import { NO_SABOTAGE } from '../../target/sabotage.ts';
import type { DbCheckResult } from '../../target/health/db-check.ts';

const dbUp = async (): Promise<DbCheckResult> => ({ ok: true, latencyMs: 1 });
const dbDown = async (): Promise<DbCheckResult> => ({ ok: false, latencyMs: 1, error: 'connection refused' });

test('GET /metrics counts requests by route and status, and reports the pool', async () => {
  const metrics = createMetrics({ poolStats: () => ({ total: 3, idle: 2, waiting: 1, max: 30 }) });
  let healthy = true;
  const app = buildApp({ checkDb: () => (healthy ? dbUp() : dbDown()), sabotage: NO_SABOTAGE, metrics });
  await app.inject({ url: '/health' });
  await app.inject({ url: '/health' });
  healthy = false;
  await app.inject({ url: '/health' });
  const response = await app.inject({ url: '/metrics' });
  assert.equal(response.statusCode, 200);
  assert.match(response.headers['content-type'] as string, /text\/plain/);
  const body = response.body;
  assert.match(body, /http_requests_total\{method="GET",route="\/health",status="200"\} 2/);
  assert.match(body, /http_requests_total\{method="GET",route="\/health",status="503"\} 1/);
  assert.match(body, /http_errors_total\{route="\/health",kind="503"\} 1/);
  assert.match(body, /http_request_duration_seconds_count\{method="GET",route="\/health"\} 3/);
  assert.match(body, /db_pool_connections\{state="waiting"\} 1/);
  await app.close();
});

test('the control API does not exist without a token', async () => {
  const app = buildApp({ checkDb: dbUp, sabotage: NO_SABOTAGE, control: { token: undefined, surface: { counters: () => ({}) } } });
  assert.equal((await app.inject({ url: '/_control/counters' })).statusCode, 404);
  await app.close();
});

test('the control API answers 401 without the right token and acts with it', async () => {
  let running = true;
  const scheduler = { stop: async () => void (running = false), start: async () => void (running = true), isRunning: () => running, runNow: async () => 'ok' };
  const app = buildApp({ checkDb: dbUp, sabotage: NO_SABOTAGE, control: { token: 's3cret', surface: { scheduler, counters: () => ({ replies: 7 }) } } });
  assert.equal((await app.inject({ url: '/_control/counters' })).statusCode, 401);
  assert.equal((await app.inject({ url: '/_control/counters', headers: { 'x-control-token': 'wrong' } })).statusCode, 401);
  assert.equal((await app.inject({ method: 'POST', url: '/_control/scheduler/stop', headers: { 'x-control-token': 'nope' } })).statusCode, 401);
  assert.equal(running, true, 'a refused call changed nothing');
  const headers = { 'x-control-token': 's3cret' };
  assert.deepEqual((await app.inject({ url: '/_control/counters', headers })).json(), { replies: 7 });
  assert.deepEqual((await app.inject({ method: 'POST', url: '/_control/scheduler/stop', headers })).json(), { running: false });
  assert.equal(running, false);
  assert.deepEqual((await app.inject({ method: 'POST', url: '/_control/scheduler/start', headers })).json(), { running: true });
  await app.close();
});

test('token comparison', () => {
  assert.equal(tokensMatch('abc', 'abc'), true);
  assert.equal(tokensMatch('abc', 'abd'), false);
  assert.equal(tokensMatch('', 'abc'), false);
  assert.equal(tokensMatch('abcabc', 'abc'), false);
});

test('GET /health is 503 when the scheduler is stopped or Telegram does not answer, 200 when all are up', async () => {
  let running = true;
  let telegram = true;
  const app = buildApp({
    checkDb: dbUp,
    sabotage: NO_SABOTAGE,
    scheduler: { start: async () => undefined, stop: async () => undefined, isRunning: () => running },
    bot: { check: async () => (telegram ? { ok: true, latencyMs: 3 } : { ok: false, latencyMs: 1000, error: 'getMe timed out' }) },
  });
  const healthy = await app.inject({ url: '/health' });
  assert.equal(healthy.statusCode, 200);
  assert.deepEqual(Object.keys(healthy.json().components), ['db', 'scheduler', 'bot']);
  running = false;
  const noScheduler = await app.inject({ url: '/health' });
  assert.equal(noScheduler.statusCode, 503);
  assert.equal(noScheduler.json().components.scheduler.ok, false);
  running = true;
  telegram = false;
  const noBot = await app.inject({ url: '/health' });
  assert.equal(noBot.statusCode, 503);
  assert.match(noBot.json().components.bot.error, /getMe/);
  await app.close();
});
