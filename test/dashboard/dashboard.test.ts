import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToString } from 'ink';
import { initialState, reduce, HISTORY, type AnyEvent, type DashboardState } from '../../cli/dashboard/state.ts';
import { Dashboard, progressBar, sparkline } from '../../cli/dashboard/view.tsx';
import type { FaultRecord } from '../../cli/engine/journal.ts';

const fault: FaultRecord = {
  step: 'db-down',
  spec: { driver: 'service', service: 'postgres', action: 'stop' },
  description: 'postgres stopped',
  injectedMs: 3000,
  revertStartedMs: null,
  revertedMs: null,
};

function play(events: AnyEvent[], start = initialState()): DashboardState {
  return events.reduce((state, event, i) => reduce(state, event, 1_000_000 + i), start);
}

const START: AnyEvent = { name: 'run:start', payload: { runId: 'r', scenarioId: 'C1', title: 'The database becomes unavailable', timelineMs: 20_000 } };

test('the reducer follows a fault from injection to revert', () => {
  const during = play([START, { name: 'timeline:start', payload: { t0: 0 } }, { name: 'fault:injected', payload: { fault, tMs: 3000 } }]);
  assert.equal(during.phase, 'timeline');
  assert.deepEqual(during.steps, [{ name: 'db-down', kind: 'fault', state: 'running', description: 'postgres stopped' }]);
  const after = reduce(during, { name: 'fault:reverted', payload: { fault: { ...fault, revertedMs: 11_000 }, tMs: 11_000 } }, 0);
  assert.equal(after.steps[0]?.state, 'done');
});

test('load seconds accumulate and the sparkline history stays bounded', () => {
  const seconds: AnyEvent[] = Array.from({ length: HISTORY + 10 }, (_, i) => ({
    name: 'load:second',
    payload: { step: 'health-load', second: { tMs: i * 1000, requests: 100, errors: i === 3 ? 2 : 0, p95Ms: i, maxMs: i } },
  }));
  const state = play([START, ...seconds]);
  const load = state.loads['health-load'];
  assert.ok(load);
  assert.equal(load.requests, 100 * (HISTORY + 10));
  assert.equal(load.errors, 2);
  assert.equal(load.p95History.length, HISTORY);
  assert.equal(load.p95History.at(-1), HISTORY + 9);
});

test('probe samples count failures; a new scenario starts clean but keeps the finished list', () => {
  const sample = (ok: boolean): AnyEvent => ({ name: 'probe:sample', payload: { probe: 'health', sample: { tMs: 0, ok, status: ok ? 200 : 503, latencyMs: 3 } } });
  const first = play([START, sample(true), sample(false), sample(false), { name: 'run:end', payload: { scenarioId: 'C1', status: 'failed', durationMs: 20_000, reason: '1 of 3 expectation(s) failed' } }]);
  assert.equal(first.probes.health?.failures, 2);
  assert.equal(first.phase, 'done');
  const second = reduce(first, { name: 'run:start', payload: { runId: 'r', scenarioId: 'L11', title: 'x', timelineMs: 15_000 } }, 0);
  assert.deepEqual(second.probes, {});
  assert.deepEqual(second.finished.map((f) => f.id), ['C1']);
});

test('sparklines and progress bars scale', () => {
  assert.equal(sparkline([0, 0]), '▁▁');
  assert.equal(sparkline([1, 2, 4, 8]), '▁▂▄█');
  assert.equal(progressBar(0.5, 10), '█████░░░░░');
  assert.equal(progressBar(2, 4), '████');
});

test('the screen shows the fault in place, the probe and the log', () => {
  const state = play([
    START,
    { name: 'timeline:start', payload: { t0: 0 } },
    { name: 'fault:injected', payload: { fault, tMs: 3000 } },
    { name: 'probe:sample', payload: { probe: 'health', sample: { tMs: 3100, ok: false, status: 503, latencyMs: 4.2 } } },
    { name: 'log', payload: { tMs: 3000, level: 'info', message: 'fault db-down in place: postgres stopped' } },
  ]);
  const screen = renderToString(createElement(Dashboard, { state, now: (state.timelineStartedAt ?? 0) + 5000 }), { columns: 120 });
  assert.match(screen, /C1/);
  assert.match(screen, /db-down — postgres stopped IN PLACE/);
  assert.match(screen, /health\s+503\s+4\.2 ms/);
  assert.match(screen, /1\/1 not ok/);
  assert.match(screen, /5\.0 s \/ 20\.0 s/);
  assert.match(screen, /fault db-down in place/);
});
