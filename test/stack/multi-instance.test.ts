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
import { parsePrometheus, sumMetric } from '../../cli/drivers/probes/metrics.ts';
import { redisAnswers } from '../../cli/stack/redis-server.ts';

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

async function status(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Cryptopay webhooks this instance answered (any outcome), from its own /metrics. */
async function webhooksSeenBy(instanceUrl: string): Promise<number> {
  const response = await fetch(`${instanceUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
  return sumMetric(parsePrometheus(await response.text()), 'payment_webhooks_total', { provider: 'cryptopay' }) ?? 0;
}

/** A notification with no valid signature: every instance refuses it (400), and counts it. */
async function forgedWebhook(): Promise<number> {
  const response = await fetch(`${endpoints.targetUrl}/webhooks/cryptopay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'crypto-pay-api-signature': 'deadbeef' },
    body: JSON.stringify({ update_id: 1, update_type: 'invoice_paid', request_date: new Date().toISOString(), payload: { invoice_id: 1 } }),
    signal: AbortSignal.timeout(3000),
  });
  await response.arrayBuffer();
  return response.status;
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
  const deadline = Date.now() + 15_000;
  let url: unknown = null;
  while (Date.now() < deadline) {
    const info = (await (await fetch(`${endpoints.sims?.telegram}/_sim/status`)).json()) as { webhook?: { url?: string } };
    url = info.webhook?.url;
    if (url) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(url, `${endpoints.targetUrl}/telegram/webhook`);
});

test('requests through HAProxy reach both instances', { timeout: 30_000 }, async () => {
  const urls = endpoints.targetInstanceUrls ?? [];
  const before = await Promise.all(urls.map(webhooksSeenBy));
  for (let i = 0; i < 20; i += 1) assert.equal(await forgedWebhook(), 400);
  const after = await Promise.all(urls.map(webhooksSeenBy));
  const seen = after.map((n, i) => n - (before[i] ?? 0));
  assert.equal(seen.reduce((a, b) => a + b, 0), 20);
  // Round robin: each instance gets about half.
  for (const n of seen) assert.ok(n >= 5, `per-instance webhooks ${seen.join(', ')}`);
});

test('with instance 2 killed the service keeps answering, and it comes back', { timeout: 60_000 }, async () => {
  await stack.service('target', 2).kill();
  assert.equal(await stack.service('target', 2).isRunning(), false);
  assert.equal(await stack.service('target', 1).isRunning(), true);
  // Every request is answered by the live instance (its JSON health report), never by HAProxy
  // for want of a server; 503 may be the target's own verdict on a slow database on this busy machine.
  const answers: string[] = [];
  for (let i = 0; i < 20; i += 1) {
    try {
      const response = await fetch(`${endpoints.targetUrl}/health`, { signal: AbortSignal.timeout(3000) });
      const body = await response.text();
      answers.push(body.trimStart().startsWith('{') ? 'target' : `${response.status} ${body.slice(0, 60)}`);
    } catch (error) {
      answers.push((error as Error).message);
    }
  }
  assert.deepEqual(answers, Array<string>(20).fill('target'));
  await stack.service('target', 2).ensureRunning();
  assert.equal(await stack.service('target', 2).isRunning(), true);
  assert.equal(await status(`${endpoints.targetInstanceUrls?.[1]}/health`), 200);
});

test('service target without an instance acts on every instance', { timeout: 60_000 }, async () => {
  const control = stack.service('target');
  await control.pause();
  assert.equal(await stack.service('target', 1).isRunning(), false);
  assert.equal(await stack.service('target', 2).isRunning(), false);
  await control.ensureRunning();
  assert.equal(await control.isRunning(), true);
});

test('an instance that does not exist is a clear error', async () => {
  await assert.rejects(() => stack.service('target', 3).stop(), /target instance 3.*runs 2 instances/);
  assert.throws(() => stack.service('postgres', 1), /only the target runs as several instances/);
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
