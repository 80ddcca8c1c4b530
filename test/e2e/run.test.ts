/**
 * End to end: the real chaosctl binary against a real local stack (PostgreSQL,
 * Toxiproxy, the target), checking exit codes, output files and that no fault
 * is left behind after SIGINT or SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isolatedEnv, runCli, spawnCli } from './cli.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import { canConnect } from '../../cli/stack/postgres-cluster.ts';
import { parse as parseJunit } from 'test-results-parser';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'scenarios');

function runFolder(outDir: string): string {
  // Beside the run folders the output folder holds index.html, the history of every kept run.
  const runs = readdirSync(outDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  assert.equal(runs.length, 1, `one run folder in ${outDir}`);
  return path.join(outDir, runs[0] as string);
}

interface ProxyState {
  name: string;
  enabled: boolean;
  toxics: unknown[];
}

async function proxies(endpoints: StackEndpoints): Promise<ProxyState[]> {
  const response = await fetch(`${endpoints.toxiproxyUrl}/proxies`);
  return Object.values((await response.json()) as Record<string, ProxyState>);
}

function postgresAnswers(endpoints: StackEndpoints): Promise<boolean> {
  return canConnect(endpoints.databaseUrl);
}

/** The clean state every interrupted or recovered run must leave: PostgreSQL up, no toxics, every proxy enabled. */
async function assertClean(endpoints: StackEndpoints): Promise<void> {
  assert.equal(await postgresAnswers(endpoints), true, 'PostgreSQL answers');
  const state = await proxies(endpoints);
  assert.ok(state.length > 0, 'the stack has proxies');
  for (const proxy of state) {
    assert.equal(proxy.enabled, true, `proxy ${proxy.name} enabled`);
    assert.deepEqual(proxy.toxics, [], `proxy ${proxy.name} has no toxics`);
  }
}

async function upStack(env: NodeJS.ProcessEnv): Promise<StackEndpoints> {
  const up = await runCli(['up', '--json'], env);
  assert.equal(up.code, 0, up.stderr);
  const stack = JSON.parse(readFileSync(path.join(env.CHAOSCTL_STATE_DIR as string, 'stack.json'), 'utf8')) as { secrets: Record<string, string> };
  for (const secret of Object.values(stack.secrets)) assert.ok(!up.stdout.includes(secret) && !up.stderr.includes(secret), 'up never prints a token');
  return JSON.parse(up.stdout) as StackEndpoints;
}

test('run L11 C1 on a healthy target exits 0 and writes journal, JUnit and HTML per scenario', async () => {
  const { env, outDir, stateDir } = isolatedEnv();
  const result = await runCli(['run', 'L11', 'C1', '--out', outDir], env);
  assert.equal(result.code, 0, result.stderr);
  const dir = runFolder(outDir);
  for (const id of ['L11', 'C1']) {
    for (const suffix of ['.journal.json', '.junit.xml', '.html']) assert.ok(existsSync(path.join(dir, id + suffix)), `${id}${suffix}`);
    const journal = JSON.parse(readFileSync(path.join(dir, `${id}.journal.json`), 'utf8')) as { status: string; expectations: Array<{ passed: boolean }> };
    assert.equal(journal.status, 'passed');
    assert.ok(journal.expectations.length >= 2 && journal.expectations.every((e) => e.passed));
  }
  assert.match(result.stderr, /PASS L11/);
  assert.match(result.stderr, /PASS C1/);
  // The run brought the stack up itself, so it took it down again.
  assert.equal(existsSync(path.join(stateDir, 'stack.json')), false, 'ephemeral stack removed');
});

test('the same run against a target whose health DB check is sabotaged exits 1 and JUnit names the failure', async () => {
  const { env, outDir } = isolatedEnv();
  const result = await runCli(['run', 'L11', 'C1', '--sabotage', 'health-db-check', '--out', outDir], env);
  assert.equal(result.code, 1, result.stderr);
  const junit = readFileSync(path.join(runFolder(outDir), 'C1.junit.xml'), 'utf8');
  assert.match(junit, /<testcase[^>]*name="C1 health-503-while-db-down[^"]*"[^>]*>\s*<failure/);
  const l11 = readFileSync(path.join(runFolder(outDir), 'L11.junit.xml'), 'utf8');
  assert.match(l11, /<testcase[^>]*name="L11 health-503-when-db-down[^"]*"[^>]*>\s*<failure/, 'L11 checks the 503 under load too');
  // A passing case carries its assertion as output, and no <failure>.
  assert.match(l11, /<testcase[^>]*name="L11 p95-under-200ms"[^>]*>(?:(?!<failure)[\s\S])*?<\/testcase>/, 'the healthy half of L11 still passes');
  assert.match(result.stderr, /FAIL L11/);
  assert.match(result.stderr, /FAIL C1/);
});

test('SIGINT during C1\'s fault exits 130 and leaves PostgreSQL running, no toxics, every proxy enabled', async () => {
  const { env, outDir } = isolatedEnv();
  const endpoints = await upStack(env);
  try {
    const run = spawnCli(['run', 'C1', '--out', outDir], env);
    await run.waitFor(/fault db-down in place/, 60_000);
    assert.equal(await postgresAnswers(endpoints), false, 'the fault is really in place');
    run.child.kill('SIGINT');
    const result = await run.result;
    assert.equal(result.code, 130, result.stderr);
    await assertClean(endpoints);
    const journal = JSON.parse(readFileSync(path.join(runFolder(outDir), 'C1.journal.json'), 'utf8')) as { status: string };
    assert.equal(journal.status, 'interrupted');
  } finally {
    await runCli(['down'], env);
  }
});

test('SIGTERM with every fault kind in place exits 143 and reverts them all', async () => {
  const { env, outDir } = isolatedEnv();
  const endpoints = await upStack(env);
  try {
    const run = spawnCli(['run', path.join(FIXTURES, 'FAULTS.yaml'), '--out', outDir], env);
    await run.waitFor(/fault pg-stopped in place/, 60_000);
    const during = await proxies(endpoints);
    assert.equal(during.find((p) => p.name === 'postgres')?.enabled, false);
    assert.equal(during.find((p) => p.name === 'postgres')?.toxics.length, 2);
    run.child.kill('SIGTERM');
    const result = await run.result;
    assert.equal(result.code, 143, result.stderr);
    await assertClean(endpoints);
  } finally {
    await runCli(['down'], env);
  }
});

test('SIGKILL leaves the faults in the ledger; `chaosctl recover` reverts them all', async () => {
  const { env, outDir } = isolatedEnv();
  const endpoints = await upStack(env);
  try {
    const run = spawnCli(['run', path.join(FIXTURES, 'FAULTS.yaml'), '--out', outDir], env);
    await run.waitFor(/fault pg-stopped in place/, 60_000);
    run.child.kill('SIGKILL');
    await run.result;
    const status = await runCli(['status'], env);
    assert.equal(status.code, 3, 'status reports the faults left behind');
    assert.match(status.stderr, /FAULT FAULTS\/pg-stopped/);
    assert.equal(await postgresAnswers(endpoints), false, 'the killed run left PostgreSQL stopped');

    const recovered = await runCli(['recover'], env);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.match(recovered.stderr, /4 fault\(s\) reverted/);
    await assertClean(endpoints);
    assert.equal((await runCli(['status'], env)).code, 0);
  } finally {
    await runCli(['down'], env);
  }
});

test('prove L1 C1: each passes on the healthy target and fails with its sabotage on → caught, exit 0', async () => {
  const { env, outDir } = isolatedEnv();
  const result = await runCli(['prove', 'L1', 'C1', '--out', outDir, '--json'], env, 400_000);
  assert.equal(result.code, 0, result.stderr);
  const proof = JSON.parse(result.stdout) as { caught: number; total: number; rows: Array<{ scenario: string; outcome: string; sabotage: string; detail: string }> };
  assert.equal(proof.total, 3, 'L1: throttle; C1: health-db-check and alert-cooldown');
  assert.equal(proof.caught, 3);
  const bySwitch = Object.fromEntries(proof.rows.map((r) => [r.sabotage, r]));
  assert.match(bySwitch.throttle?.detail ?? '', /throttle-drops-over-30/, 'L1 catches the throttle switch by the replies that should not come');
  assert.match(bySwitch['health-db-check']?.detail ?? '', /health-503-while-db-down/);
  assert.match(bySwitch['alert-cooldown']?.detail ?? '', /one-critical-per-cooldown/);
  assert.match(result.stderr, /2\/2 scenarios caught every switch they list; 3\/3 switch runs caught/);
  // The proof's JUnit, read by a JUnit parser: one passed case per switch, nothing failed, so CI stays green.
  const folder = runFolder(outDir);
  const junit = parseJunit({ type: 'junit', files: [path.join(folder, 'junit.xml')] });
  assert.equal(junit.failed, 0);
  assert.equal(junit.errors, 0);
  assert.deepEqual(junit.suites.flatMap((s) => s.cases.map((c) => `${c.name} ${c.status}`)).sort(), ['C1 alert-cooldown PASS', 'C1 health-db-check PASS', 'L1 throttle PASS']);
  assert.equal(new Set(junit.suites.map((s) => s.name)).size, junit.suites.length, 'no two suites share a name');
  const index = readFileSync(path.join(folder, 'index.html'), 'utf8');
  assert.match(index, /class="hero status-passed"/, 'the proof page does not say failed');
  assert.deepEqual(readdirSync(folder).filter((f) => f.endsWith('.junit.xml')), [], 'no per-run JUnit beside the proof');
});

test('prove refuses a scenario that declares no sabotage to catch, as bad input, before any stack starts', async () => {
  const { env, outDir } = isolatedEnv();
  const result = await runCli(['prove', path.join(FIXTURES, 'FAULTS.yaml'), '--out', outDir], env);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /CHAOSCTL_E_PROVE_NO_SWITCHES/);
  assert.doesNotMatch(result.stderr, /stack: /, 'no stack was brought up');
});

test('prove --baseline reuses the healthy run of an identical scenario and runs only the sabotaged one', async () => {
  const { env, outDir } = isolatedEnv();
  const up = await runCli(['up'], env, 120_000);
  assert.equal(up.code, 0, up.stderr);
  try {
    const healthyOut = path.join(outDir, 'healthy');
    const healthy = await runCli(['run', 'C8', '--out', healthyOut], env, 120_000);
    assert.equal(healthy.code, 0, healthy.stderr);
    const proveOut = path.join(outDir, 'prove');
    const proof = await runCli(['prove', 'C8', '--baseline', runFolder(healthyOut), '--out', proveOut, '--json'], env, 120_000);
    assert.equal(proof.code, 0, proof.stderr);
    assert.match(proof.stderr, /C8: healthy run reused from .*C8\.journal\.json \(passed\)/);
    const journals = readdirSync(runFolder(proveOut)).filter((f) => f.endsWith('.journal.json'));
    assert.equal(journals.length, (JSON.parse(proof.stdout) as { total: number }).total, 'one journal per switch: no second healthy run');
    const stale = await runCli(['prove', 'C8', '--baseline', path.join(outDir, 'nowhere')], env, 30_000);
    assert.equal(stale.code, 2, 'a baseline folder that is not there is a usage error');
  } finally {
    await runCli(['down'], env, 60_000);
  }
});

test('a stop condition ends the run early: exit 1, verdict aborted, the stopped PostgreSQL running again', async () => {
  const { env, outDir } = isolatedEnv();
  const endpoints = await upStack(env);
  try {
    const result = await runCli(['run', path.join(FIXTURES, 'BRAKE.yaml'), '--out', outDir], env);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /stop condition health-gone held/);
    assert.match(result.stderr, /ABORTED BRAKE/);
    const dir = runFolder(outDir);
    const journal = JSON.parse(readFileSync(path.join(dir, 'BRAKE.journal.json'), 'utf8')) as { status: string; abort?: { id: string; atMs: number }; faults: Array<{ revertedMs: number | null }> };
    assert.equal(journal.status, 'aborted');
    assert.equal(journal.abort?.id, 'health-gone');
    assert.ok((journal.abort?.atMs ?? 0) < 10_000, `stopped at ${journal.abort?.atMs} ms of a 25 s timeline`);
    assert.ok(journal.faults[0]?.revertedMs !== null, 'the fault was reverted');
    assert.match(readFileSync(path.join(dir, 'BRAKE.html'), 'utf8'), /Why aborted:.*health-gone/);
    await assertClean(endpoints);
  } finally {
    await runCli(['down'], env);
  }
});
