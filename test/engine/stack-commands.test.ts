/**
 * Issue 11's lifecycle holes, through the real chaosctl binary (no stack is started): a ledger
 * entry left by a killed run is settled by `down` and by `recover` once its stack is gone, and
 * `up`, `down` and `recover` keep their hands off a stack a live run holds (or wait, bounded).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InjectionLedger, type LedgerEntry } from '../../cli/engine/injection-ledger.ts';
import { recover } from '../../cli/engine/recover.ts';
import { acquireStackLock } from '../../cli/engine/run-lock.ts';
import { ChaosError } from '../../cli/core/errors.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import type { StackProvider } from '../../cli/stack/types.ts';

const BIN = path.join(PACKAGE_ROOT, 'cli', 'bin', 'chaosctl.js');
const roots: string[] = [];
after(() => {
  for (const root of roots) {
    // Should a regression let `up` start a stack after all, it is taken down before its state goes.
    if (existsSync(path.join(root, 'stack.json'))) {
      rmSync(path.join(root, 'run.lock'), { force: true });
      spawnSync(process.execPath, [BIN, 'down'], { cwd: PACKAGE_ROOT, env: { ...process.env, CHAOSCTL_STATE_DIR: root }, stdio: 'ignore', timeout: 60_000 });
    }
    rmSync(root, { recursive: true, force: true });
  }
});

function stateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-lifecycle-'));
  roots.push(dir);
  return dir;
}

/** A pid that is certainly dead: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function leftover(pid: number): LedgerEntry {
  return {
    key: 'killed-run/C1/db-slow',
    runId: 'killed-run',
    scenarioId: 'C1',
    step: 'db-slow',
    spec: { driver: 'toxiproxy', proxy: 'postgres', toxic: 'latency', latency: '1s', stream: 'downstream', toxicity: 1 },
    description: 'latency 1s on postgres',
    pid,
    state: 'applied',
    since: new Date(0).toISOString(),
  };
}

function cli(args: string[], dir: string): { code: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: PACKAGE_ROOT, env: { ...process.env, CHAOSCTL_STATE_DIR: dir }, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stderr: result.stderr };
}

test('recover() with no stack settles what a killed run left, instead of failing on it forever', async () => {
  const dir = stateDir();
  const ledger = new InjectionLedger(dir);
  ledger.add(leftover(deadPid()));
  const noStack = { mode: 'local', endpoints: async () => null } as unknown as StackProvider;
  const lines: string[] = [];
  const report = await recover(noStack, ledger, { onlyOrphans: true, progress: (l) => lines.push(l) });
  assert.equal(report.failed.length, 0);
  assert.deepEqual(report.settled.map((e) => e.step), ['db-slow']);
  assert.deepEqual(ledger.read(), []);
  assert.match(lines.join('\n'), /settled C1\/db-slow .*no stack is running/);
});

test('`chaosctl recover` with no stack settles the leftover entry, says so and exits 0; a second recover finds nothing', () => {
  const dir = stateDir();
  new InjectionLedger(dir).add(leftover(deadPid()));
  const first = cli(['recover'], dir);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /settled C1\/db-slow/);
  assert.match(first.stderr, /1 fault record\(s\) settled/);
  assert.deepEqual(new InjectionLedger(dir).read(), []);
  const second = cli(['recover'], dir);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stderr, /nothing to recover/);
});

test('`chaosctl down` settles the ledger: no entry is left that nothing can clear', () => {
  const dir = stateDir();
  new InjectionLedger(dir).add(leftover(deadPid()));
  const down = cli(['down'], dir);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stderr, /settled C1\/db-slow .*went with the stack/);
  assert.deepEqual(new InjectionLedger(dir).read(), []);
  const status = cli(['status'], dir);
  assert.doesNotMatch(status.stderr, /FAULT/);
});

test('up, down and recover refuse while a live run holds the lock (exit 3, CHAOSCTL_E_RUN_ACTIVE), and leave the ledger alone', () => {
  const dir = stateDir();
  // This test process stands in for the live run.
  writeFileSync(path.join(dir, 'run.lock'), String(process.pid));
  new InjectionLedger(dir).add(leftover(process.pid));
  for (const command of ['down', 'recover', 'up']) {
    const result = cli([command], dir);
    assert.equal(result.code, 3, `${command}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`\`chaosctl ${command}\` refused: another chaosctl process \\(pid ${process.pid}\\) holds the run lock`));
    assert.match(result.stderr, /\[CHAOSCTL_E_RUN_ACTIVE\]/);
  }
  assert.equal(new InjectionLedger(dir).read().length, 1, 'the live run\'s fault is still recorded');
  assert.equal(readFileSync(path.join(dir, 'run.lock'), 'utf8'), String(process.pid));
  assert.equal(existsSync(path.join(dir, 'stack.json')), false, 'up started nothing');
});

test('--wait waits for the run to end, then proceeds; bounded, it gives up with the same error', async () => {
  const dir = stateDir();
  const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    writeFileSync(path.join(dir, 'run.lock'), String(holder.pid));
    const bounded = cli(['down', '--wait', '1'], dir);
    assert.equal(bounded.code, 3, bounded.stderr);
    assert.match(bounded.stderr, /waiting up to 1 s/);
    assert.match(bounded.stderr, /still held, after 1 s of waiting/);

    const waiting = spawn(process.execPath, [BIN, 'down', '--wait', '20'], { cwd: PACKAGE_ROOT, env: { ...process.env, CHAOSCTL_STATE_DIR: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    waiting.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => waiting.on('exit', resolve));
    // The run ends only once the command is seen waiting for it.
    for (let i = 0; i < 300 && !/waiting up to 20 s/.test(stderr); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.match(stderr, /waiting up to 20 s/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.doesNotMatch(stderr, /stack is down/, 'it does not go ahead while the run holds the lock');
    holder.kill('SIGKILL');
    const code = await exited;
    assert.equal(code, 0, stderr);
    assert.match(stderr, /waiting up to 20 s/);
    assert.match(stderr, /stack is down/);
  } finally {
    holder.kill('SIGKILL');
  }
  assert.equal(cli(['down', '--wait', '0'], dir).code, 2, '--wait 0 is a usage error');
  assert.equal(cli(['down', '--wait', '99999'], dir).code, 2);
});

test('down and recover where there is no state folder create none (it would mark its folder as a project)', () => {
  const dir = path.join(stateDir(), 'absent');
  for (const command of ['down', 'recover']) {
    const result = cli([command], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(existsSync(dir), false, `${command} created ${dir}`);
  }
});

test('acquireStackLock without waiting refuses at once; with a dead owner it takes the lock over', async () => {
  const dir = stateDir();
  const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    writeFileSync(path.join(dir, 'run.lock'), String(holder.pid));
    await assert.rejects(acquireStackLock(dir, { command: 'down', waitMs: 0 }), (e: unknown) => e instanceof ChaosError && e.code === 'CHAOSCTL_E_RUN_ACTIVE');
  } finally {
    holder.kill('SIGKILL');
  }
  writeFileSync(path.join(dir, 'run.lock'), String(deadPid()));
  const lock = await acquireStackLock(dir, { command: 'down', waitMs: 0 });
  assert.equal(readFileSync(path.join(dir, 'run.lock'), 'utf8'), String(process.pid));
  lock.release();
  assert.equal(existsSync(path.join(dir, 'run.lock')), false);
});
