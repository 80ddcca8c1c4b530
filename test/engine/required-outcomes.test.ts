/**
 * Live views tell a load's required answers (L11's 503s while PostgreSQL is down) from its
 * failures, from the scenario alone: the progress line and the runner's log say
 * "N × 503 required, M failed", the dashboard counts them apart.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { attachProgress } from '../../cli/commands/progress.ts';
import { initialState, reduce } from '../../cli/dashboard/state.ts';
import { EventBus } from '../../cli/core/events.ts';
import { describeFailures } from '../../cli/core/required-outcomes.ts';
import { requiredOutcomesOf } from '../../cli/engine/required-outcomes.ts';
import { loadScenarioFile } from '../../cli/engine/scenario-loader.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import type { Scenario } from '../../cli/drivers/registry.ts';

const l11 = async (): Promise<Scenario> => (await loadScenarioFile(path.join(PACKAGE_ROOT, 'scenarios', 'L11.yaml'))).scenario;

test("L11: the load during the outage is required to get 503 (by health-503-when-db-down); the healthy load nothing", async () => {
  const required = requiredOutcomesOf(await l11());
  assert.deepEqual(required, { 'health-load-db-down': { statuses: ['503'], because: ['health-503-when-db-down'] } });
});

test('a load that outlasts the fault, or loads another path, or an expectation of 2xx, requires nothing', async () => {
  const base = await l11();
  const withStep = (patch: (s: Scenario) => void): Scenario => {
    const copy = structuredClone(base);
    patch(copy);
    return copy;
  };
  const longer = withStep((s) => {
    const step = s.timeline.steps.find((x) => x.name === 'health-load-db-down');
    if (step) step.for = '10s';
  });
  assert.deepEqual(requiredOutcomesOf(longer), {});
  const otherPath = withStep((s) => {
    const step = s.timeline.steps.find((x) => x.name === 'health-load-db-down');
    if (step?.load?.driver === 'http') step.load.path = '/metrics';
  });
  assert.deepEqual(requiredOutcomesOf(otherPath), {});
  const wants200 = withStep((s) => {
    for (const e of s.expect) if (e.kind === 'probe' && e.condition.status === 503) e.condition.status = 200;
  });
  assert.deepEqual(requiredOutcomesOf(wants200), {});
});

test('describeFailures keeps the required answers apart from the failures', () => {
  const required = { statuses: ['503'], because: ['x'] };
  assert.equal(describeFailures(100, { '503': 100 }, required), '100 × 503 required, 0 failed');
  assert.equal(describeFailures(7, { '503': 5, timeout: 2 }, required), '5 × 503 required, 2 failed');
  assert.equal(describeFailures(3, { '500': 3 }, required), '3 failed');
  assert.equal(describeFailures(3, { '503': 3 }, undefined), '3 failed');
});

test('progress lines and the dashboard count required answers apart', async () => {
  const scenario = await l11();
  const bus = new EventBus();
  const lines: string[] = [];
  attachProgress(bus, (line) => lines.push(line), { everySeconds: 1 });
  const start = { runId: 'r', scenarioId: 'L11', title: scenario.title, timelineMs: 21_000, requiredOutcomes: requiredOutcomesOf(scenario) };
  bus.emit('run:start', start);
  const second = { tMs: 17_000, requests: 100, errors: 100, p95Ms: 3, maxMs: 5, errorsBy: { '503': 100 } };
  bus.emit('load:second', { step: 'health-load-db-down', second });
  bus.emit('load:second', { step: 'health-load', second: { ...second, tMs: 5000, errors: 2, errorsBy: { '503': 2 } } });
  assert.match(lines.find((l) => l.includes('health-load-db-down:')) ?? '', /100 × 503 required, 0 failed$/);
  assert.match(lines.find((l) => l.includes('health-load:')) ?? '', /, 2 failed$/, 'a 503 where none is required is a failure');

  let state = reduce(initialState(), { name: 'run:start', payload: start }, 0);
  state = reduce(state, { name: 'load:second', payload: { step: 'health-load-db-down', second } }, 0);
  assert.equal(state.loads['health-load-db-down']?.required, 100);
  assert.equal(state.loads['health-load-db-down']?.errors, 100);
});
