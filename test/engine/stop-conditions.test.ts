/**
 * Stop conditions (abortWhen): the watcher on its own, the schema's rules, and the runner
 * in process against a real HTTP server that turns bad halfway: the timeline stops there,
 * the verdict is "aborted" with the condition as evidence, and the exit code is 1.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exitCodeForRun } from '../../cli/commands/session.ts';
import { EventBus } from '../../cli/core/events.ts';
import { InjectionLedger } from '../../cli/engine/injection-ledger.ts';
import type { StopRecord } from '../../cli/core/journal.ts';
import { runScenario } from '../../cli/engine/runner.ts';
import { validateScenarioText } from '../../cli/engine/scenario-loader.ts';
import { StopConditionSchema } from '../../cli/core/scenario-schema.ts';
import { watchStopConditions } from '../../cli/engine/stop-conditions.ts';
import { renderJunit } from '../../reports/junit.ts';
import type { StackProvider } from '../../cli/stack/types.ts';

const sample = (tMs: number, status: number) => ({ tMs, ok: status === 200, status, latencyMs: 1 });
const second = (tMs: number, requests: number, errors: number) => ({ tMs, requests, errors, p95Ms: 1, maxMs: 1 });

test('a probe brake fires once its samples have failed the condition for its whole "for", and a good sample resets it', () => {
  const bus = new EventBus();
  const fired: StopRecord[] = [];
  watchStopConditions([StopConditionSchema.parse({ id: 'health-gone', probe: 'health', unmet: { status: 200 }, for: '1s' })], bus, (r) => fired.push(r));
  bus.emit('probe:sample', { probe: 'health', sample: sample(0, 503) });
  bus.emit('probe:sample', { probe: 'health', sample: sample(600, 503) });
  bus.emit('probe:sample', { probe: 'health', sample: sample(900, 200) });
  bus.emit('probe:sample', { probe: 'other', sample: sample(1500, 503) });
  bus.emit('probe:sample', { probe: 'health', sample: sample(1600, 503) });
  assert.equal(fired.length, 0, 'the 200 at 0.9 s broke the stretch');
  bus.emit('probe:sample', { probe: 'health', sample: sample(2600, 503) });
  bus.emit('probe:sample', { probe: 'health', sample: sample(2900, 503) });
  assert.equal(fired.length, 1);
  assert.equal(fired[0]?.id, 'health-gone');
  assert.equal(fired[0]?.atMs, 2600);
  assert.equal(fired[0]?.sinceMs, 1600);
  assert.match(fired[0]?.evidence ?? '', /^2 samples in a row since 1\.6 s/);
  assert.match(fired[0]?.description ?? '', /probe health does not meet status 200 for 1\.0 s/);
});

test("a load brake holds while each second's error rate is above the threshold; empty seconds neither count nor break it", () => {
  const bus = new EventBus();
  const fired: StopRecord[] = [];
  watchStopConditions([StopConditionSchema.parse({ load: 'flood', errorRateAbove: 50, for: '3s' })], bus, (r) => fired.push(r));
  bus.emit('load:second', { step: 'flood', second: second(0, 10, 6) });
  bus.emit('load:second', { step: 'flood', second: second(1000, 10, 5) });
  bus.emit('load:second', { step: 'flood', second: second(2000, 10, 9) });
  bus.emit('load:second', { step: 'flood', second: second(3000, 0, 0) });
  assert.equal(fired.length, 0, '50 % is not above 50 %: the stretch restarted at 2 s');
  bus.emit('load:second', { step: 'flood', second: second(4000, 10, 9) });
  assert.equal(fired.length, 1, 'from 2 s to the end of the second at 4 s: 3 s, the empty one included');
  bus.emit('load:second', { step: 'flood', second: second(5000, 10, 10) });
  assert.equal(fired.length, 1, 'fires once');
  assert.equal(fired[0]?.id, 'abort-1', 'derived from the position');
  assert.equal(fired[0]?.sinceMs, 2000);
  assert.equal(fired[0]?.atMs, 5000);
});

test('the schema: one of probe or load, each with its own threshold; references are checked', () => {
  assert.equal(StopConditionSchema.safeParse({ probe: 'h', load: 'l', unmet: { status: 200 }, errorRateAbove: 5 }).success, false);
  assert.equal(StopConditionSchema.safeParse({ probe: 'h' }).success, false);
  assert.equal(StopConditionSchema.safeParse({ load: 'l' }).success, false);
  assert.equal(StopConditionSchema.safeParse({ load: 'l', errorRateAbove: 101 }).success, false);
  assert.equal(StopConditionSchema.safeParse({ probe: 'h', unmet: { status: 200 }, errorRateAbove: 5 }).success, false);
  const { problems } = validateScenarioText(scenarioText('http://x', { probe: 'helth', load: undefined }), 'brake.yaml');
  assert.ok(problems.some((p) => /no probe named "helth"/.test(p.message) && /did you mean "health"/.test(p.hint ?? '')), JSON.stringify(problems));
});

let server: Server;
let baseUrl: string;
let badAfter = Number.POSITIVE_INFINITY;
let startedAt = 0;
const workDir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-brake-'));

before(async () => {
  server = createServer((req, res) => {
    const bad = Date.now() - startedAt > badAfter;
    res.writeHead(bad ? 500 : 200, { 'content-type': 'text/plain' }).end(bad ? 'broken' : 'ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(workDir, { recursive: true, force: true });
});

function scenarioText(_url: string, brake: { probe?: string | undefined; load?: string | undefined }): string {
  const abortWhen = brake.probe
    ? `abortWhen:\n  - id: health-gone\n    probe: ${brake.probe}\n    unmet: { status: 200 }\n    for: 400ms\n`
    : `abortWhen:\n  - id: load-failing\n    load: ${brake.load}\n    errorRateAbove: 50\n    for: 1s\n`;
  return `id: BRAKE
title: A target that breaks halfway
kind: chaos
covers: [test]
probes:
  - { name: health, kind: http, path: /health, every: 100ms, timeout: 1s }
timeline:
  steps:
    - name: steady-load
      at: 0s
      for: 4s
      load: { driver: http, path: /health, rate: 20, connections: 2 }
expect:
  - { id: all-fine, clause: test, text: every answer 200, kind: errors, load: steady-load, max: 0 }
${abortWhen}`;
}

async function runInProcess(text: string) {
  const { scenario, problems } = validateScenarioText(text, path.join(workDir, 'brake.yaml'));
  assert.ok(scenario, JSON.stringify(problems));
  const noStack = { mode: 'local' } as unknown as StackProvider;
  startedAt = Date.now();
  return runScenario({
    loaded: { scenario, file: path.join(workDir, 'brake.yaml') },
    runId: 'brake-test',
    stack: noStack,
    endpoints: { targetUrl: baseUrl, toxiproxyUrl: 'http://127.0.0.1:1', databaseUrl: '', proxies: {} },
    bus: new EventBus(),
    ledger: new InjectionLedger(workDir),
    signal: new AbortController().signal,
    sabotage: [],
    chaosctlVersion: 'test',
    services: {},
  });
}

test('in process: a probe brake stops a 4 s timeline soon after the target breaks; verdict aborted, exit 1, JUnit failure', async () => {
  badAfter = 1000;
  const journal = await runInProcess(scenarioText(baseUrl, { probe: 'health' }));
  assert.equal(journal.status, 'aborted', journal.reason);
  assert.equal(journal.abort?.id, 'health-gone');
  assert.ok((journal.abort?.atMs ?? 0) >= 1300 && (journal.abort?.atMs ?? 0) < 3000, `stopped at ${journal.abort?.atMs} ms`);
  const load = journal.loads[0];
  assert.ok(load && load.endedMs < 3500, `the load was stopped with the timeline (ended at ${load?.endedMs} ms)`);
  assert.match(journal.reason ?? '', /aborted at .* by stop condition health-gone/);
  assert.ok(journal.expectations.every((e) => !e.passed && /not evaluated: the run was aborted/.test(e.observed)));
  assert.equal(exitCodeForRun([journal], null), 1);
  const junit = renderJunit([journal]);
  assert.match(junit, /<testcase [^>]*name="run aborted"[^>]*>\s*<failure [^>]*type="aborted"/);
});

test('in process: a load brake on the error rate; and a target that stays fine is never stopped', async () => {
  badAfter = 800;
  const stopped = await runInProcess(scenarioText(baseUrl, { load: 'steady-load' }));
  assert.equal(stopped.status, 'aborted', stopped.reason);
  assert.equal(stopped.abort?.id, 'load-failing');
  badAfter = Number.POSITIVE_INFINITY;
  const fine = await runInProcess(scenarioText(baseUrl, { probe: 'health' }));
  assert.equal(fine.status, 'passed', fine.reason);
  assert.equal(fine.abort, undefined);
});
