/**
 * Each simulator as its own process (target/sims/<name>/main.ts): it prints
 * one JSON "listening" line with its URL, answers there, refuses a
 * non-loopback HOST, and stops cleanly on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureStackTls } from '../../cli/stack/stack-tls.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Spawned {
  child: ChildProcess;
  firstLine: Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; stderr: string }>;
}

function spawnSim(name: string, env: Record<string, string>): Spawned {
  const env0: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'silent', ...env };
  delete env0.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', `target/sims/${name}/main.ts`], { cwd: ROOT, env: env0, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(stdout.slice(0, newline)) as Record<string, unknown>);
    });
    child.once('exit', () => reject(new Error(`exited before printing a line; stderr: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { child, firstLine, exit };
}

async function stop(spawned: Spawned): Promise<number | null> {
  if (spawned.child.exitCode !== null) return spawned.child.exitCode;
  spawned.child.kill('SIGTERM');
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), 8000);
  const { code } = await spawned.exit;
  clearTimeout(timer);
  return code;
}

const probes: Record<string, { path: string; headers: Record<string, string>; expect: number }> = {
  telegram: { path: '/bot7000000001:AAHsimulatedTokenForChaosctlTests000/getMe', headers: {}, expect: 200 },
  yookassa: { path: '/v3/payments/x', headers: { authorization: `Basic ${Buffer.from('100500:test_simulated_secret_key').toString('base64')}` }, expect: 404 },
  cryptopay: { path: '/api/getMe', headers: { 'crypto-pay-api-token': '12345:AAsimulatedCryptoPayToken0123456789' }, expect: 200 },
};

for (const [name, probe] of Object.entries(probes)) {
  test(`${name}: main.ts listens on 127.0.0.1, says so in one JSON line, and stops on SIGTERM`, async () => {
    const sim = spawnSim(name, {});
    try {
      const line = await sim.firstLine;
      assert.equal(line.msg, 'listening');
      assert.equal(line.sim, name);
      assert.match(String(line.url), /^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(`${String(line.url)}${probe.path}`, { headers: probe.headers });
      assert.equal(response.status, probe.expect);
      await response.arrayBuffer();
      assert.equal(await stop(sim), 0);
    } finally {
      await stop(sim);
    }
  });
}

test('a non-loopback HOST or a bad variable is refused with every problem listed', async () => {
  const sim = spawnSim('telegram', { HOST: '0.0.0.0', PORT: 'eighty', TELEGRAM_SIM_FLOOD_SCALE: '-1' });
  try {
    const { code, stderr } = await sim.exit;
    assert.equal(code, 1);
    const report = JSON.parse(stderr.trim().split('\n').at(-1) ?? '{}') as { problems?: string[] };
    assert.equal(report.problems?.length, 3, stderr);
  } finally {
    await stop(sim);
  }
});

test('with SIM_TLS_CERT_FILE and SIM_TLS_KEY_FILE the same port answers verified HTTPS (API) and plain HTTP (control)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-sim-tls-'));
  const tls = await ensureStackTls(dir);
  const sim = spawnSim('cryptopay', { SIM_TLS_CERT_FILE: tls.certFile, SIM_TLS_KEY_FILE: tls.keyFile });
  try {
    const line = await sim.firstLine;
    const port = new URL(String(line.url)).port;
    const ca = await readFile(tls.caCertFile);
    const status = await new Promise<number>((resolve, reject) => {
      https.get(`https://127.0.0.1:${port}${probes.cryptopay?.path ?? ''}`, { ca, headers: probes.cryptopay?.headers }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(status, 200);
    const control = await fetch(`http://127.0.0.1:${port}/_sim/status`);
    assert.equal(control.status, 200);
    await control.arrayBuffer();
    assert.equal(await stop(sim), 0);
  } finally {
    await stop(sim);
    await rm(dir, { recursive: true, force: true });
  }
});
