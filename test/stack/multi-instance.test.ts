/**
 * The local stack with two target instances: HAProxy on the target port in
 * front of both, a shared Redis, webhook mode; traffic reaches both, one
 * instance down leaves the service answering, and back to one instance
 * removes HAProxy and Redis again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStackProvider } from '../../cli/stack/index.ts';
import { isOurProcess } from '../../cli/stack/processes.ts';
import { readStackState } from '../../cli/stack/state-file.ts';
import type { StackState } from '../../cli/stack/state-file.ts';
import type { StackEndpoints, StackProvider } from '../../cli/stack/types.ts';
import { redisAnswers } from '../../cli/stack/redis-server.ts';
import { httpStatusOf as status, requestsReachBothInstances, survivesInstanceTwoKilled, targetWithoutInstanceMeansAll, unknownInstanceIsClearError, webhookGoesToFrontDoor } from './multi-instance-checks.ts';

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-multi-test-'));
const previousStateDir = process.env.CHAOSCTL_STATE_DIR;
const previousDatabaseUrl = process.env.DATABASE_URL;

let stack: StackProvider;
let endpoints: StackEndpoints;

async function recorded(): Promise<StackState> {
  const state = await readStackState(stateDir);
  assert.ok(state, 'stack.json exists');
  return state;
}

before(() => {
  process.env.CHAOSCTL_STATE_DIR = stateDir;
  delete process.env.DATABASE_URL;
  stack = createStackProvider('local');
});

after(async () => {
  await stack.down();
  if (previousStateDir === undefined) delete process.env.CHAOSCTL_STATE_DIR;
  else process.env.CHAOSCTL_STATE_DIR = previousStateDir;
  if (previousDatabaseUrl !== undefined) process.env.DATABASE_URL = previousDatabaseUrl;
  rmSync(stateDir, { recursive: true, force: true });
});

test('up with instances: 2 puts HAProxy on the target port, two instances behind it and a Redis', { timeout: 120_000 }, async () => {
  endpoints = await stack.up({ env: {}, sabotage: [], instances: 2 });
  const state = await recorded();
  assert.ok(state.haproxy && state.redis && state.target && state.moreTargets?.length === 1);
  assert.equal(endpoints.targetUrl, `http://127.0.0.1:${state.targetPort}`);
  assert.equal(state.haproxy.port, state.targetPort);
  assert.deepEqual(endpoints.targetInstanceUrls, [`http://127.0.0.1:${state.target.port}`, `http://127.0.0.1:${state.moreTargets[0]?.port}`]);
  assert.ok(isOurProcess(state.haproxy.pid, 'haproxy'));
  assert.ok(await redisAnswers(state.redis.port, 1000));
  for (const instance of [state.target, ...state.moreTargets]) {
    assert.notEqual(instance.port, state.targetPort);
    assert.equal(instance.proxyEnv.REDIS_URL, `redis://127.0.0.1:${state.redis.port}`);
    assert.equal(instance.proxyEnv.BOT_MODE, 'webhook');
    assert.equal(instance.proxyEnv.BOT_WEBHOOK_URL, `${endpoints.targetUrl}/telegram/webhook`);
  }
  assert.equal(await status(`${endpoints.targetUrl}/health`), 200);
});

test('the Telegram simulator delivers to the webhook behind HAProxy', { timeout: 30_000 }, async () => {
  await webhookGoesToFrontDoor(endpoints);
});

test('requests through HAProxy reach both instances', { timeout: 30_000 }, async () => {
  await requestsReachBothInstances(endpoints);
});

test('with instance 2 killed the service keeps answering, and it comes back', { timeout: 60_000 }, async () => {
  await survivesInstanceTwoKilled(stack, endpoints);
});

test('service target without an instance acts on every instance', { timeout: 60_000 }, async () => {
  await targetWithoutInstanceMeansAll(stack);
});

test('an instance that does not exist is a clear error', async () => {
  await unknownInstanceIsClearError(stack);
});

test('back to one instance: the target takes the target port again; HAProxy, Redis and instance 2 are gone', { timeout: 120_000 }, async () => {
  const before = await recorded();
  endpoints = await stack.up({ env: {}, sabotage: [] });
  const state = await recorded();
  assert.equal(state.haproxy, undefined);
  assert.equal(state.redis, undefined);
  assert.equal(state.moreTargets, undefined);
  assert.equal(state.target?.port, state.targetPort);
  assert.equal(endpoints.targetInstanceUrls, undefined);
  assert.ok(before.haproxy && before.redis && before.moreTargets?.[0]);
  assert.equal(isOurProcess(before.haproxy.pid, 'haproxy'), false);
  assert.equal(isOurProcess(before.moreTargets[0].pid, 'target'), false);
  assert.equal(await redisAnswers(before.redis.port, 500), false);
  assert.equal(state.target?.proxyEnv.BOT_MODE, undefined);
  assert.equal(await status(`${endpoints.targetUrl}/health`), 200);
});
