import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWrkOutput, parseWrkTime } from '../../bench/wrk.ts';
import { parseVegetaReport } from '../../bench/vegeta.ts';

// Output of wrk 4.1 (Debian 12) with --latency, as printed.
const WRK = `Running 5s test @ http://127.0.0.1:41234/health
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.61ms    1.20ms  31.05ms   93.51%
    Req/Sec     3.87k   312.40     4.31k    78.00%
  Latency Distribution
     50%    2.38ms
     75%    2.71ms
     90%    3.24ms
     99%    7.90ms
  19268 requests in 5.00s, 4.26MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   3853.20
Transfer/sec:    871.94KB
`;

test('wrk times in every unit become milliseconds', () => {
  assert.equal(parseWrkTime('850.00us'), 0.85);
  assert.equal(parseWrkTime('2.38ms'), 2.38);
  assert.equal(parseWrkTime('1.50s'), 1500);
  assert.equal(parseWrkTime('2.00m'), 120_000);
  assert.throws(() => parseWrkTime('fast'), /not a wrk time/);
});

test('wrk --latency output gives rate, p50, p99, count and errors', () => {
  assert.deepEqual(parseWrkOutput(WRK), { requests: 19268, requestsPerSec: 3853.2, p50Ms: 2.38, p99Ms: 7.9, errors: 3 });
});

test('socket errors count as errors', () => {
  const text = WRK.replace('  Non-2xx or 3xx responses: 3\n', '  Socket errors: connect 0, read 2, write 1, timeout 4\n');
  assert.equal(parseWrkOutput(text).errors, 7);
});

test('wrk output without the latency distribution is refused', () => {
  const text = WRK.split('\n').filter((l) => !/^\s+\d+%/.test(l)).join('\n');
  assert.throws(() => parseWrkOutput(text), /no 50% latency line/);
});

test('vegeta JSON report: nanoseconds become milliseconds', () => {
  const report = JSON.stringify({
    latencies: { total: 1, mean: 900_000, '50th': 650_000, '90th': 1_200_000, '95th': 1_700_000, '99th': 4_250_000, max: 9_000_000, min: 300_000 },
    requests: 10000,
    rate: 1000.08,
    throughput: 999.9,
    success: 1,
    status_codes: { '200': 10000 },
    errors: [],
  });
  assert.deepEqual(parseVegetaReport(report), { requests: 10000, rate: 1000.08, p50Ms: 0.65, p95Ms: 1.7, p99Ms: 4.25, success: 1 });
});

test('a vegeta report without latencies is refused', () => {
  assert.throws(() => parseVegetaReport(JSON.stringify({ requests: 1, rate: 1 })), /no latencies.50th/);
});
