import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateExpectation, resolveWindow, samplesIn, type Measurements } from '../../cli/engine/assertions.ts';
import type { FaultRecord, LatencySummary, LoadRecord, ProbeSample } from '../../cli/core/journal.ts';
import { ExpectationSchema, type Expectation } from '../../cli/core/scenario-schema.ts';

const latency = (p95: number, count = 100): LatencySummary => ({ count, min: 1, mean: p95 / 2, p50: p95 / 2, p90: p95 * 0.9, p95, p99: p95 * 1.2, max: p95 * 2 });

function load(overrides: Partial<LoadRecord> = {}): LoadRecord {
  return {
    step: 'l',
    spec: { driver: 'http', path: '/health', method: 'GET', rate: 100, connections: 10, timeout: '10s' },
    description: 'HTTP GET /health at 100/s over 10 connections',
    startedMs: 0,
    endedMs: 10_000,
    requests: 1000,
    errors: 0,
    statusCounts: { '200': 1000 },
    latency: latency(10),
    correctedLatency: latency(12),
    achievedRate: 100,
    series: [],
    ...overrides,
  };
}

const fault: FaultRecord = {
  step: 'db-down',
  spec: { driver: 'service', service: 'postgres', action: 'stop' },
  description: 'postgres stopped',
  injectedMs: 3000,
  revertStartedMs: 11_000,
  revertedMs: 11_500,
};

/** One sample every 250 ms over 20 s: 503 and fast while the fault is in place, 200 otherwise. */
function healthSamples(during: (t: number) => Partial<ProbeSample> = () => ({ status: 503, ok: false })): ProbeSample[] {
  const samples: ProbeSample[] = [];
  for (let t = 0; t < 20_000; t += 250) {
    const inFault = t >= 3000 && t < 11_000;
    samples.push({ tMs: t, ok: true, status: 200, latencyMs: 5, ...(inFault ? during(t) : {}) });
  }
  return samples;
}

function measurements(samples: ProbeSample[], loads: LoadRecord[] = []): Measurements {
  return {
    loads,
    faults: [fault],
    probes: [{ name: 'health', spec: { name: 'health', kind: 'http', path: '/health', every: '250ms', timeout: '2s' }, samples }],
    timelineDurationMs: 20_000,
    finalSamples: {},
  };
}

const exp = (input: Record<string, unknown>): Expectation => ExpectationSchema.parse({ clause: 'X', text: 'seed text', ...input });

test('latency expectations use the corrected percentile and compare strictly', () => {
  const e = exp({ kind: 'latency', load: 'l', percentile: 95, below: '12ms' });
  const r = evaluateExpectation(e, 'p95', measurements([], [load()]));
  assert.equal(r.passed, false, 'corrected p95 of exactly 12 ms is not below 12 ms');
  assert.equal(r.evidence.value, 12);
  assert.equal(r.evidence.raw, 10);
  assert.equal(evaluateExpectation(exp({ kind: 'latency', load: 'l', below: '13ms' }), 'p95', measurements([], [load()])).passed, true);
  assert.equal(evaluateExpectation(exp({ kind: 'latency', load: 'l', percentile: 100, below: '20ms' }), 'max', measurements([], [load()])).passed, false);
});

test('a latency expectation without any response fails instead of passing vacuously', () => {
  const r = evaluateExpectation(exp({ kind: 'latency', load: 'l', below: '1s' }), 'x', measurements([], [load({ correctedLatency: latency(0, 0) })]));
  assert.equal(r.passed, false);
  assert.match(r.observed, /no responses/);
});

test('error expectations count non-2xx and transport failures', () => {
  const bad = load({ errors: 3, statusCounts: { '200': 997, '503': 2, timeout: 1 } });
  const r = evaluateExpectation(exp({ kind: 'errors', load: 'l', max: 0 }), 'e', measurements([], [bad]));
  assert.equal(r.passed, false);
  assert.match(r.observed, /503×2/);
  assert.match(r.observed, /timeout×1/);
  assert.equal(evaluateExpectation(exp({ kind: 'errors', load: 'l', max: 3 }), 'e', measurements([], [bad])).passed, true);
});

test('windows resolve from fault timestamps', () => {
  assert.deepEqual(resolveWindow({ during: 'db-down' }, [fault], 20_000), { startMs: 3000, endMs: 11_000, label: 'during db-down' });
  assert.deepEqual(resolveWindow({ during: 'db-down', skipFirst: '500ms' }, [fault], 20_000), { startMs: 3500, endMs: 11_000, label: 'during db-down' });
  const after = resolveWindow({ after: 'db-down', within: '5s' }, [fault], 20_000);
  assert.deepEqual(after, { startMs: 11_500, endMs: 16_500, label: 'within 5.0 s after db-down' });
  assert.deepEqual(resolveWindow({}, [fault], 20_000), { startMs: 0, endMs: 20_000, label: 'whole timeline' });
  assert.ok('error' in resolveWindow({ during: 'nope' }, [fault], 20_000));
  assert.ok('error' in resolveWindow({ after: 'db-down' }, [{ ...fault, revertedMs: null }], 20_000));
});

test('only samples that start and finish inside the window count', () => {
  const s = (tMs: number, latencyMs: number): ProbeSample => ({ tMs, latencyMs, ok: true, status: 200 });
  const inside = samplesIn([s(999, 1), s(1000, 10), s(1990, 15), s(1995, 5)], { startMs: 1000, endMs: 2000, label: '' });
  assert.deepEqual(inside.map((x) => x.tMs), [1000, 1995]);
});

test('C1-shaped probe expectations pass on a healthy target and fail on a sabotaged one', () => {
  const always503 = exp({ kind: 'probe', probe: 'health', window: { during: 'db-down', skipFirst: '500ms' }, condition: { status: 503 } });
  const fast = exp({ kind: 'probe', probe: 'health', window: { during: 'db-down' }, condition: { latencyBelow: '500ms' } });
  const back = exp({ kind: 'probe', probe: 'health', window: { after: 'db-down', within: '8s' }, mode: 'eventually', condition: { status: 200 } });

  const healthy = measurements(healthSamples());
  for (const e of [always503, fast, back]) assert.equal(evaluateExpectation(e, 'x', healthy).passed, true, JSON.stringify(e));

  // DB check switched off: health keeps answering 200 while the database is down.
  const blind = measurements(healthSamples(() => ({})));
  const r = evaluateExpectation(always503, 'x', blind);
  assert.equal(r.passed, false);
  assert.match(r.observed, /first miss at 3\.5 s: status 200, wanted status 503/);

  // Health hangs instead of failing fast.
  const hanging = measurements(healthSamples((t) => ({ status: 503, ok: false, latencyMs: t > 5000 ? 2000 : 5 })));
  assert.equal(evaluateExpectation(fast, 'x', hanging).passed, false);

  // Never recovers.
  const stuck = measurements(healthSamples().map((s) => (s.tMs >= 3000 ? { ...s, status: 503, ok: false } : s)));
  assert.equal(evaluateExpectation(back, 'x', stuck).passed, false);
});

test('too few samples in a window is a failure, not a pass', () => {
  const e = exp({ kind: 'probe', probe: 'health', window: { during: 'db-down' }, condition: { status: 503 }, minSamples: 3 });
  const r = evaluateExpectation(e, 'x', measurements(healthSamples().filter((s) => s.tMs < 3000 || s.tMs > 10_500)));
  assert.equal(r.passed, false);
  assert.match(r.observed, /only \d sample/);
});

test('never mode fails on the first matching sample', () => {
  const e = exp({ kind: 'probe', probe: 'health', mode: 'never', condition: { status: 500 } });
  assert.equal(evaluateExpectation(e, 'x', measurements(healthSamples())).passed, true);
  const withOne = healthSamples();
  withOne[10] = { ...(withOne[10] as ProbeSample), status: 500, ok: false };
  assert.equal(evaluateExpectation(e, 'x', measurements(withOne)).passed, false);
});

test('value conditions and final expectations read sql/metrics samples', () => {
  const base = measurements([]);
  const finalExp = exp({ kind: 'final', probe: 'double-credits', condition: { valueEquals: 0 } });
  assert.equal(evaluateExpectation(finalExp, 'f', base).passed, false, 'no final sample is a failure');
  const clean = { ...base, finalSamples: { 'double-credits': { tMs: 0, ok: true, status: null, latencyMs: 2, value: 0 } } };
  assert.equal(evaluateExpectation(finalExp, 'f', clean).passed, true);
  const dirty = { ...base, finalSamples: { 'double-credits': { tMs: 0, ok: true, status: null, latencyMs: 2, value: 3 } } };
  const r = evaluateExpectation(finalExp, 'f', dirty);
  assert.equal(r.passed, false);
  assert.match(r.observed, /value 3, wanted 0/);
  const failed = { ...base, finalSamples: { 'double-credits': { tMs: 0, ok: false, status: null, latencyMs: 2, error: 'connection refused' } } };
  assert.match(evaluateExpectation(finalExp, 'f', failed).observed, /connection refused/);

  const waiting = (values: number[]): ProbeSample[] => values.map((value, i) => ({ tMs: i * 1000, ok: true, status: null, latencyMs: 1, value }));
  const pool = exp({ kind: 'probe', probe: 'health', condition: { valueAtMost: 5 } });
  assert.equal(evaluateExpectation(pool, 'p', measurements(waiting([0, 2, 5, 1]))).passed, true);
  assert.equal(evaluateExpectation(pool, 'p', measurements(waiting([0, 2, 6, 1]))).passed, false);
  const atLeast = exp({ kind: 'probe', probe: 'health', mode: 'eventually', condition: { valueAtLeast: 10 } });
  assert.equal(evaluateExpectation(atLeast, 'p', measurements(waiting([1, 5, 9]))).passed, false);
  assert.equal(evaluateExpectation(atLeast, 'p', measurements(waiting([1, 5, 10]))).passed, true);
});

test('action expectations judge the outcome and, when asked, the duration', () => {
  const action = (outcome: string | null, tookMs: number | null, error?: string): Measurements => ({
    ...measurements([]),
    actions: [
      {
        step: 'run',
        spec: { driver: 'target', action: 'run-job', job: 'habit_reminders', timeout: '120s' },
        description: 'run job habit_reminders now',
        startedMs: 1000,
        endedMs: tookMs === null ? null : 1000 + tookMs,
        outcome,
        ...(error ? { error } : {}),
      },
    ],
  });
  const okFast = exp({ kind: 'action', step: 'run', durationBelow: '30s' });
  assert.equal(evaluateExpectation(okFast, 'a', action('ok', 12_000)).passed, true);
  assert.match(evaluateExpectation(okFast, 'a', action('ok', 12_000)).observed, /ok, took 12\.0 s/);
  assert.equal(evaluateExpectation(okFast, 'a', action('ok', 31_000)).passed, false, 'too slow');
  assert.equal(evaluateExpectation(okFast, 'a', action('failed', 100)).passed, false, 'wrong outcome');
  const r = evaluateExpectation(okFast, 'a', action(null, null, 'POST /_control/jobs/habit_reminders/run answered 401'));
  assert.equal(r.passed, false);
  assert.match(r.observed, /no outcome, did not finish.*401/);
  assert.equal(evaluateExpectation(exp({ kind: 'action', step: 'run', outcome: ['ok', 'busy'] }), 'a', action('busy', 5)).passed, true);
  assert.equal(evaluateExpectation(okFast, 'a', measurements([])).passed, false, 'an action that never ran fails');
});
