/**
 * The runner in process with fake drivers, passed through its `registries` option: no stack,
 * no network, milliseconds. The fakes stand in for the target fault driver and the HTTP probe
 * (same schemas, so the scenario validates as any other) and record what the runner asks of them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EventBus } from '../../cli/core/events.ts';
import type { Journal } from '../../cli/core/journal.ts';
import type { FaultDriver } from '../../cli/drivers/faults/types.ts';
import type { ProbeDriver } from '../../cli/drivers/probes/types.ts';
import { BUILTIN_REGISTRIES, type Registries } from '../../cli/drivers/registry.ts';
import { InjectionLedger } from '../../cli/engine/injection-ledger.ts';
import { runScenario } from '../../cli/engine/runner.ts';
import { validateScenarioText } from '../../cli/engine/scenario-loader.ts';
import type { StackProvider } from '../../cli/stack/types.ts';

const workDir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-runner-fakes-'));
after(() => rmSync(workDir, { recursive: true, force: true }));

/** Three faults a step apart, none with a `for`: all three are in place when the timeline ends. */
const SCENARIO = `id: FAKES
title: Faults on fake drivers
kind: chaos
covers: [test]
probes:
  - { name: health, kind: http, path: /health, every: 50ms, timeout: 1s }
timeline:
  duration: 300ms
  steps:
    - { name: first, at: 0ms, fault: { driver: target, action: scheduler-stop } }
    - { name: second, at: 20ms, fault: { driver: target, action: scheduler-stop } }
    - { name: third, at: 40ms, fault: { driver: target, action: scheduler-stop } }
expect:
  - { id: healthy, clause: test, text: always 200, kind: probe, probe: health, condition: { status: 200 }, minSamples: 1 }
`;

interface Calls {
  injected: string[];
  reverted: string[];
}

/** Registries whose target fault and HTTP probe are fakes; `failing` names a step whose inject throws. */
function fakeRegistries(calls: Calls, failing?: string): Registries {
  const fault: FaultDriver<typeof BUILTIN_REGISTRIES.fault.target.schema> = {
    schema: BUILTIN_REGISTRIES.fault.target.schema,
    describe: (spec) => `fake ${spec.action}`,
    async inject(step) {
      calls.injected.push(step);
      if (step === failing) throw new Error('the fake refuses');
    },
    async revert(step) {
      calls.reverted.push(step);
    },
  };
  const probe: ProbeDriver<typeof BUILTIN_REGISTRIES.probe.http.schema> = {
    schema: BUILTIN_REGISTRIES.probe.http.schema,
    describe: (spec) => `fake GET ${spec.path}`,
    sample: async (_spec, ctx) => ({ tMs: ctx.clock.now(), ok: true, status: 200, latencyMs: 0 }),
  };
  return { ...BUILTIN_REGISTRIES, fault: { ...BUILTIN_REGISTRIES.fault, target: fault }, probe: { ...BUILTIN_REGISTRIES.probe, http: probe } };
}

async function run(text: string, registries: Registries): Promise<{ journal: Journal; ledger: InjectionLedger }> {
  const { scenario, problems } = validateScenarioText(text, path.join(workDir, 'fakes.yaml'));
  assert.ok(scenario, JSON.stringify(problems));
  const ledger = new InjectionLedger(workDir);
  const journal = await runScenario({
    loaded: { scenario, file: path.join(workDir, 'fakes.yaml') },
    runId: 'fakes',
    stack: { mode: 'local' } as unknown as StackProvider,
    endpoints: { targetUrl: 'http://127.0.0.1:1', toxiproxyUrl: 'http://127.0.0.1:1', databaseUrl: '', proxies: {} },
    bus: new EventBus(),
    ledger,
    signal: new AbortController().signal,
    sabotage: [],
    chaosctlVersion: 'test',
    services: {},
    registries,
  });
  return { journal, ledger };
}

test('faults still in place at the end are reverted newest first; the journal carries the fakes\' own descriptions', async () => {
  const calls: Calls = { injected: [], reverted: [] };
  const { journal, ledger } = await run(SCENARIO, fakeRegistries(calls));
  assert.equal(journal.status, 'passed', journal.reason);
  assert.deepEqual(calls.injected, ['first', 'second', 'third']);
  assert.deepEqual(calls.reverted, ['third', 'second', 'first']);
  assert.deepEqual(ledger.read(), [], 'every reverted fault left the ledger');
  assert.deepEqual(journal.faults.map((f) => f.description), ['fake scheduler-stop', 'fake scheduler-stop', 'fake scheduler-stop']);
  assert.equal(journal.probes[0]?.description, 'fake GET /health');
  assert.ok((journal.probes[0]?.samples.length ?? 0) >= 3, 'the fake probe sampled on the run clock');
});

test('a failing inject halts the timeline: later steps never start, what was tried is reverted newest first, the run is an error', async () => {
  const calls: Calls = { injected: [], reverted: [] };
  const slow = SCENARIO.replace('duration: 300ms', 'duration: 10s').replace('at: 40ms', 'at: 5s');
  const started = Date.now();
  const { journal } = await run(slow, fakeRegistries(calls, 'second'));
  assert.ok(Date.now() - started < 3000, 'the timeline did not wait for its 10 s');
  assert.equal(journal.status, 'error');
  assert.match(journal.reason ?? '', /fault second could not be applied: the fake refuses/);
  assert.deepEqual(calls.injected, ['first', 'second'], 'the third step never started');
  assert.deepEqual(calls.reverted, ['second', 'first']);
  assert.equal(journal.timeline.find((e) => e.step === 'third')?.startedMs, null);
  assert.equal(journal.expectations.length, 0, 'no verdict on the target after a driver error');
});
