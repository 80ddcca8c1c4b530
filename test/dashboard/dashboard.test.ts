import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { renderToString } from 'ink';
import { initialState, reduce, HISTORY, type AnyEvent, type DashboardState } from '../../cli/dashboard/state.ts';
import { Dashboard, progressBar, sparkline } from '../../cli/dashboard/view.tsx';
import { colourAllowed } from '../../cli/dashboard/live.tsx';
import type { FaultRecord } from '../../cli/core/journal.ts';

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

const PLANNED: AnyEvent = {
  name: 'run:start',
  payload: {
    runId: 'r',
    scenarioId: 'C1',
    title: 'The database becomes unavailable',
    timelineMs: 20_000,
    plan: [
      { step: 'health-load', kind: 'load', atMs: 0, forMs: 20_000 },
      { step: 'db-down', kind: 'fault', atMs: 3000, forMs: 8000 },
      { step: 'run-job', kind: 'action', atMs: 15_000, forMs: null },
    ],
    probeConditions: { health: ['always status 503', 'steady status 200'] },
  },
};

function screen(state: DashboardState, options: { rows?: number; columns?: number; color?: boolean } = {}): string {
  return renderToString(createElement(Dashboard, { state, now: (state.timelineStartedAt ?? 0) + 5000, rows: 24, columns: 120, ...options }), { columns: options.columns ?? 120 });
}

const DURING: AnyEvent[] = [
  PLANNED,
  { name: 'timeline:start', payload: { t0: 0 } },
  { name: 'step:start', payload: { step: 'health-load', kind: 'load', tMs: 0 } },
  { name: 'fault:injected', payload: { fault, tMs: 3000 } },
  { name: 'probe:sample', payload: { probe: 'health', sample: { tMs: 3100, ok: false, status: 503, latencyMs: 4.2 } } },
  { name: 'log', payload: { tMs: 3000, level: 'info', message: 'fault db-down in place: postgres stopped' } },
];

test('the screen shows the whole timeline (past, running, upcoming), the fault in place, probe values next to their conditions, and the log', () => {
  const text = screen(play(DURING));
  assert.match(text, /C1/);
  assert.match(text, /▶ +0\.0s load +health-load/);
  assert.match(text, /▶ +3\.0s fault +db-down — postgres stopped IN PLACE/);
  assert.match(text, /· +15\.0s action +run-job/, 'the upcoming step is listed');
  assert.match(text, /health +503 4\.2 ms +\[always status 503; steady status 200\]/);
  assert.match(text, /5\.0 s \/ 20\.0 s/);
  assert.match(text, /fault db-down in place/);
});

test('before the first scenario, the stack start-up is shown instead of a blank screen', () => {
  const state = play([{ name: 'stack:progress', payload: { line: 'postgres: initdb done' } }]);
  const text = screen(state);
  assert.match(text, /starting the stack/);
  assert.match(text, /postgres: initdb done/);
});

test('at 80×24 the live part never reaches the bottom row and no line is wider than the terminal', () => {
  const loads: AnyEvent[] = Array.from({ length: 6 }, (_, i) => ({ name: 'load:second', payload: { step: `load-${i}`, second: { tMs: 1000, requests: 100, errors: 0, p95Ms: 12, maxMs: 30 } } }));
  const probes: AnyEvent[] = Array.from({ length: 8 }, (_, i) => ({ name: 'probe:sample', payload: { probe: `probe-with-a-long-name-${i}`, sample: { tMs: 1000, ok: true, status: 200, latencyMs: 3 } } }));
  const logs: AnyEvent[] = Array.from({ length: 10 }, (_, i) => ({ name: 'log', payload: { tMs: i, level: 'info', message: `a long log line number ${i} `.repeat(8) } }));
  const manySteps: AnyEvent = { ...PLANNED, payload: { ...(PLANNED.payload as object), plan: Array.from({ length: 30 }, (_, i) => ({ step: `step-${i}`, kind: 'load', atMs: i * 1000, forMs: 1000 })) } } as AnyEvent;
  const state = play([manySteps, { name: 'timeline:start', payload: { t0: 0 } }, ...loads, ...probes, ...logs]);
  const text = screen(state, { rows: 24, columns: 80 });
  const lines = text.split('\n');
  assert.ok(lines.length <= 23, `${lines.length} lines: one row stays free so Ink never clears the screen`);
  for (const line of lines) assert.ok([...line].length <= 80, `fits 80 columns: "${line}"`);
  assert.match(text, /… \d+ more steps/, 'the step list is shortened, saying so');
  const roomy = screen(play(DURING), { rows: 50, columns: 120 });
  assert.match(roomy, /fault db-down in place/, 'with room, the log is shown');
});

test('a run of several scenarios ends with every verdict and every expectation, and nothing of the live part', () => {
  const expectation = (id: string, passed: boolean): AnyEvent => ({
    name: 'expectation',
    payload: { result: { id, kind: 'latency', clause: 'L11', text: 't', assertion: 'a', passed, observed: `${id} observed`, evidence: {} } },
  });
  const state = play([
    PLANNED,
    expectation('p95-under-200ms', true),
    { name: 'run:end', payload: { scenarioId: 'L11', status: 'passed', durationMs: 21_000 } },
    { ...PLANNED, payload: { ...(PLANNED.payload as object), scenarioId: 'C1' } } as AnyEvent,
    expectation('health-503-while-db-down', false),
    { name: 'run:end', payload: { scenarioId: 'C1', status: 'failed', durationMs: 30_000, reason: '1 of 1 expectation(s) failed' } },
  ]);
  const text = screen({ ...state, stack: [] });
  assert.match(text, /PASSED +L11 in 21\.0 s/);
  assert.match(text, /✓ L11 p95-under-200ms: p95-under-200ms observed/);
  assert.match(text, /FAILED +C1 in 30\.0 s — 1 of 1 expectation\(s\) failed/);
  assert.match(text, /✗ L11 health-503-while-db-down/);
  assert.doesNotMatch(text, /▶/);
});

test('with colour off (NO_COLOR) not one escape sequence is written', () => {
  const state = play([...DURING, { name: 'run:end', payload: { scenarioId: 'C1', status: 'failed', durationMs: 1000 } }]);
  const plain = screen(state, { color: false });
  assert.ok(!plain.includes('\u001b['), 'no escape sequence');
  assert.equal(colourAllowed({ NO_COLOR: '1' }), false);
  assert.equal(colourAllowed({}), true);
});
