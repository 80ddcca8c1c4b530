/**
 * The local stack against real PostgreSQL, Toxiproxy and the target: up,
 * reuse, service faults, a config change, and teardown.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Toxiproxy } from 'toxiproxy-node-client';
import { createStackProvider } from '../../cli/stack/index.ts';
import { processState } from '../../cli/stack/processes.ts';
import { stackTlsFiles } from '../../cli/stack/stack-tls.ts';
import { readStackState, stackStateFile } from '../../cli/stack/state-file.ts';
import type { StackState } from '../../cli/stack/state-file.ts';
import type { StackEndpoints, StackProvider, TargetConfig } from '../../cli/stack/types.ts';

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-stack-test-'));
const previousStateDir = process.env.CHAOSCTL_STATE_DIR;
const previousDatabaseUrl = process.env.DATABASE_URL;
const PLAIN: TargetConfig = { env: {}, sabotage: [] };

let stack: StackProvider;
let endpoints: StackEndpoints;
const lines: string[] = [];

interface Pids {
  postgres: number;
  toxiproxy: number;
  target: number;
}

async function recorded(): Promise<StackState> {
  const state = await readStackState(stateDir);
  assert.ok(state, 'stack.json exists');
  return state;
}

async function pids(): Promise<Pids> {
  const state = await recorded();
  assert.ok(state.postgres?.kind === 'throwaway' && state.postgres.pid !== null && state.toxiproxy && state.target);
  return { postgres: state.postgres.pid, toxiproxy: state.toxiproxy.pid, target: state.target.pid };
}

/** Status of GET /health, or 0 when nothing answered within 2 s. */
async function healthStatus(): Promise<number> {
  try {
    const response = await fetch(`${endpoints.targetUrl}/health`, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Polls /health until it answers `want` (bounded); returns how long that took. */
async function healthBecomes(want: number, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  let last = -1;
  while (performance.now() - started < timeoutMs) {
    last = await healthStatus();
    if (last === want) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`/health answered ${last}, not ${want}, for ${timeoutMs} ms`);
}

before(() => {
  process.env.CHAOSCTL_STATE_DIR = stateDir;
  // The throwaway cluster is what this test is about.
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

test('up starts postgres, toxiproxy and the target; /health is 200 through the proxy', { timeout: 60_000 }, async (t) => {
  const started = performance.now();
  endpoints = await stack.up(PLAIN, (line) => lines.push(line));
  const ms = performance.now() - started;
  assert.equal(await healthStatus(), 200);
  assert.match(endpoints.targetUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(endpoints.toxiproxyUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(endpoints.proxies.postgres, 'a postgres proxy');
  assert.ok(lines.some((line) => line.startsWith('postgres: initdb in ')), lines.join('\n'));
  assert.ok(lines.some((line) => line.startsWith('toxiproxy: started on 127.0.0.1:')), lines.join('\n'));
  assert.ok(existsSync(stackStateFile(stateDir)));
  const state = await recorded();
  assert.ok(state.target);
  assert.match(state.target.proxyEnv.DATABASE_URL ?? '', new RegExp(`@${endpoints.proxies.postgres.listen.replace(/\./g, '\\.')}/`), 'the target reaches postgres through the proxy');
  const status = await stack.status();
  assert.deepEqual(
    status.map((s) => [s.name, s.running]),
    [
      ['postgres', true],
      ['toxiproxy', true],
      ['telegram', true],
      ['yookassa', true],
      ['cryptopay', true],
      ['target', true],
    ],
  );
  // Each simulator runs behind its own proxy, and the target is pointed at the proxy, never at the simulator.
  for (const name of ['telegram', 'yookassa', 'cryptopay'] as const) {
    const proxy = endpoints.proxies[name];
    assert.ok(proxy, `a ${name} proxy`);
    assert.equal(proxy.upstream, endpoints.sims?.[name]?.replace('http://', ''));
  }
  // Over HTTPS, as the real services: the target trusts the stack's throwaway CA.
  assert.equal(state.target.proxyEnv.TELEGRAM_API_ROOT, `https://${endpoints.proxies.telegram?.listen}`);
  assert.equal(state.target.proxyEnv.YOOKASSA_API_URL, `https://${endpoints.proxies.yookassa?.listen}/v3`);
  assert.equal(state.target.proxyEnv.CRYPTOPAY_API_URL, `https://${endpoints.proxies.cryptopay?.listen}/api`);
  const tls = stackTlsFiles(stateDir);
  assert.equal(state.target.proxyEnv.NODE_EXTRA_CA_CERTS, tls.caCertFile);
  const ca = readFileSync(tls.caCertFile);
  const me = await new Promise<number>((resolve, reject) => {
    const auth = Buffer.from(`${state.secrets?.yookassaShopId}:${state.secrets?.yookassaSecretKey}`).toString('base64');
    https.get(`https://${endpoints.proxies.yookassa?.listen}/v3/me`, { ca, headers: { authorization: `Basic ${auth}` } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
  assert.equal(me, 200, 'verified HTTPS through the proxy to the YooKassa simulator');
  assert.ok(state.target.proxyEnv.BOT_TOKEN && state.target.proxyEnv.CONTROL_TOKEN, 'the target gets the stack secrets');
  t.diagnostic(`up took ${ms.toFixed(0)} ms`);
});

test('a second up reuses every running process', { timeout: 30_000 }, async () => {
  const earlier = await pids();
  const again = await stack.up({ env: {}, sabotage: [] });
  assert.deepEqual(await pids(), earlier);
  assert.deepEqual(again, endpoints);
});

test('the postgres proxy exists in Toxiproxy with the cluster as upstream', async () => {
  const state = await recorded();
  assert.ok(state.postgres?.kind === 'throwaway');
  const proxy = await new Toxiproxy(endpoints.toxiproxyUrl).get('postgres');
  assert.equal(proxy.upstream, `127.0.0.1:${state.postgres.port}`);
  assert.equal(proxy.listen, endpoints.proxies.postgres?.listen);
  assert.equal(proxy.enabled, true);
  assert.equal(endpoints.databaseUrl, `postgres://postgres@127.0.0.1:${state.postgres.port}/postgres`);
});

test('postgres stop gives 503, start gives 200 again', { timeout: 30_000 }, async (t) => {
  const postgres = stack.service('postgres');
  await postgres.stop();
  assert.equal(await postgres.isRunning(), false);
  const to503 = await healthBecomes(503, 2000);
  await postgres.stop(); // idempotent
  await postgres.start();
  assert.equal(await postgres.isRunning(), true);
  const to200 = await healthBecomes(200);
  t.diagnostic(`503 ${to503.toFixed(0)} ms after the stop returned; 200 ${to200.toFixed(0)} ms after the start returned`);
});

test('postgres pause gives 503, resume gives 200', { timeout: 30_000 }, async () => {
  const postgres = stack.service('postgres');
  await postgres.pause();
  try {
    assert.equal(await postgres.isRunning(), false);
    await healthBecomes(503, 3000);
  } finally {
    await postgres.resume();
  }
  assert.equal(await postgres.isRunning(), true);
  await healthBecomes(200);
});

test('postgres kill, then start recovers it', { timeout: 30_000 }, async () => {
  const postgres = stack.service('postgres');
  const earlier = (await pids()).postgres;
  await postgres.kill();
  assert.equal(processState(earlier), 'gone');
  await healthBecomes(503, 3000);
  await postgres.ensureRunning();
  await healthBecomes(200);
  assert.notEqual((await pids()).postgres, earlier);
});

test('target stop, start and pause/resume', { timeout: 30_000 }, async () => {
  const target = stack.service('target');
  await target.pause();
  assert.equal(await healthStatus(), 0, 'a paused target does not answer');
  await target.resume();
  assert.equal(await healthStatus(), 200);
  const earlier = (await pids()).target;
  await target.restart();
  assert.notEqual((await pids()).target, earlier);
  assert.equal(await healthStatus(), 200);
});

test('up with another sabotage restarts only the target', { timeout: 30_000 }, async () => {
  const earlier = await pids();
  endpoints = await stack.up({ env: {}, sabotage: ['health-db-check'] }, (line) => lines.push(line));
  const now = await pids();
  assert.equal(now.postgres, earlier.postgres);
  assert.equal(now.toxiproxy, earlier.toxiproxy);
  assert.notEqual(now.target, earlier.target);
  assert.equal(processState(earlier.target), 'gone');

  // The sabotaged target claims a healthy database even when it is stopped.
  await stack.service('postgres').stop();
  try {
    assert.equal(await healthStatus(), 200);
  } finally {
    await stack.service('postgres').start();
  }
});

test('a simulator is a service: stop takes it away, start brings it back on the same port', { timeout: 30_000 }, async () => {
  const url = endpoints.sims?.telegram;
  assert.ok(url);
  const telegram = stack.service('telegram');
  await telegram.stop();
  assert.equal(await telegram.isRunning(), false);
  await assert.rejects(fetch(`${url}/_sim/status`));
  await telegram.ensureRunning();
  assert.equal(await telegram.isRunning(), true);
  assert.equal((await fetch(`${url}/_sim/status`)).status, 200);
});

test('down stops everything and removes the data dir and stack.json; twice is fine', { timeout: 30_000 }, async (t) => {
  const state = await recorded();
  assert.ok(state.postgres?.kind === 'throwaway');
  const dataDir = state.postgres.dataDir;
  const running = await pids();

  const started = performance.now();
  await stack.down((line) => lines.push(line));
  const ms = performance.now() - started;

  for (const pid of [running.target, running.toxiproxy, running.postgres]) assert.equal(processState(pid), 'gone', `pid ${pid} is gone`);
  assert.equal(existsSync(dataDir), false, 'data dir removed');
  assert.equal(existsSync(stackStateFile(stateDir)), false, 'stack.json removed');
  assert.equal(existsSync(stackTlsFiles(stateDir).dir), false, 'the throwaway CA and certificate removed');
  assert.equal(await stack.endpoints(), null);
  assert.ok((await stack.status()).every((s) => !s.running));
  assert.equal(await stack.service('postgres').isRunning(), false);

  await stack.down();
  t.diagnostic(`down took ${ms.toFixed(0)} ms`);
});
