import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyRecorder, percentileOf } from '../../cli/drivers/load/latency-recorder.ts';
import { effectiveConnections, intendedIntervalMs } from '../../cli/drivers/load/http.ts';
import { HttpLoadSchema } from '../../cli/drivers/load/http.ts';

test('nearest-rank percentiles', () => {
  const values = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.equal(percentileOf(values, 95), 95);
  assert.equal(percentileOf(values, 50), 50);
  assert.equal(percentileOf(values, 100), 100);
  assert.equal(percentileOf([], 95), 0);
  assert.equal(percentileOf([7], 1), 7);
});

test('raw and corrected summaries agree when every response is faster than the interval', () => {
  const r = new LatencyRecorder(100, 0);
  for (let i = 0; i < 1000; i += 1) r.record(1 + (i % 10), i);
  const raw = r.rawSummary();
  const corrected = r.correctedSummary();
  assert.equal(raw.count, 1000);
  assert.equal(corrected.count, 1000);
  assert.ok(Math.abs(raw.p95 - 10) < 0.05, `p95 ${raw.p95}`);
  assert.equal(raw.max, corrected.max);
});

test('a stall is corrected: the requests it held back count with their waiting time', () => {
  const r = new LatencyRecorder(100, 0); // one request per connection every 100 ms
  for (let i = 0; i < 99; i += 1) r.record(2, i * 100);
  r.record(2000, 9900); // one 2 s stall hid 19 requests
  const raw = r.rawSummary();
  const corrected = r.correctedSummary();
  assert.ok(raw.p95 < 3, `raw p95 ${raw.p95} ignores the stall`);
  assert.equal(corrected.count, 100 + 19);
  assert.ok(corrected.p95 >= 1000, `corrected p95 ${corrected.p95} shows it`);
});

test('one-second buckets count requests, errors, p95 and max', () => {
  const r = new LatencyRecorder(10, 0);
  for (let i = 0; i < 20; i += 1) r.record(i + 1, i * 50); // second 0: 20 responses
  r.record(50, 1100, false); // second 1: a 503
  r.recordFailure(1200); // and a reset
  assert.equal(r.takeClosed().length, 1, 'the first second closed when the 503 arrived');
  r.roll(2000);
  assert.equal(r.takeClosed().length, 1, 'the second one closes when its time is up');
  assert.deepEqual(r.takeClosed(), [], 'each bucket is handed out once');
  const closed = r.seconds;
  assert.equal(closed.length, 2);
  assert.deepEqual(closed[0], { tMs: 0, requests: 20, errors: 0, p95Ms: 19, maxMs: 20 });
  assert.deepEqual(closed[1], { tMs: 1000, requests: 2, errors: 2, p95Ms: 50, maxMs: 50 });
  r.flush();
  assert.equal(r.seconds.length, 2, 'an empty partial second is not a bucket');
});

test('the intended interval follows the connections autocannon really opens', () => {
  const spec = HttpLoadSchema.parse({ driver: 'http', path: '/health', rate: 100, connections: 10 });
  assert.equal(effectiveConnections(spec), 10);
  assert.equal(intendedIntervalMs(spec), 100);
  const slow = HttpLoadSchema.parse({ driver: 'http', path: '/health', rate: 4, connections: 10 });
  assert.equal(effectiveConnections(slow), 4);
  assert.equal(intendedIntervalMs(slow), 1000);
});

test("a second's errors are counted by outcome when the caller names it", () => {
  const recorder = new LatencyRecorder(10, 0);
  recorder.record(2, 100, false, '503');
  recorder.record(2, 200, false, '503');
  recorder.recordFailure(300, 'timeout');
  recorder.record(2, 400, true);
  recorder.record(2, 1100, true);
  recorder.roll(2000);
  const [first, second] = recorder.takeClosed();
  assert.deepEqual(first?.errorsBy, { '503': 2, timeout: 1 });
  assert.equal(first?.errors, 3);
  assert.equal(second?.errorsBy, undefined, 'a second without errors has no breakdown');
});
