/** Probes against real things: a real HTTP server for metrics, a real PostgreSQL cluster for SQL. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parsePrometheus, sumMetric } from '../../cli/drivers/probes/metrics.ts';
import { probeContext, type ProbeContext } from '../../cli/drivers/probes/index.ts';
import { startClock } from '../../cli/core/clock.ts';
import { BUILTIN_REGISTRIES, probeDriverFor, ProbeSchema, type ProbeSpec } from '../../cli/drivers/registry.ts';
import { findPostgresBinDir, PostgresCluster } from '../../cli/stack/postgres-cluster.ts';
import { freePort } from '../../cli/stack/free-port.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';

const sampleProbe = (spec: ProbeSpec, ctx: ProbeContext) => probeDriverFor(BUILTIN_REGISTRIES, spec).sample(spec, ctx);

const EXPOSITION = `# HELP db_pool_connections PostgreSQL pool connections by state.
# TYPE db_pool_connections gauge
db_pool_connections{state="total"} 7
db_pool_connections{state="waiting"} 3
http_requests_total{method="GET",route="/health",status="200"} 120
http_requests_total{method="GET",route="/health",status="503"} 4
http_requests_total{method="POST",route="/webhooks/yookassa",status="200"} 9
weird_label{path="a\\"b"} 1
`;

test('the Prometheus parser reads names, labels (with escapes) and values', () => {
  const series = parsePrometheus(EXPOSITION);
  assert.equal(series.length, 6);
  assert.deepEqual(series[1], { name: 'db_pool_connections', labels: { state: 'waiting' }, value: 3 });
  assert.equal(series[5]?.labels.path, 'a"b');
});

test('sumMetric adds every series matching the labels, and says null when none does', () => {
  const series = parsePrometheus(EXPOSITION);
  assert.equal(sumMetric(series, 'http_requests_total', { route: '/health' }), 124);
  assert.equal(sumMetric(series, 'http_requests_total', {}), 133);
  assert.equal(sumMetric(series, 'db_pool_connections', { state: 'waiting' }), 3);
  assert.equal(sumMetric(series, 'db_pool_connections', { state: 'nope' }), null);
  assert.equal(sumMetric(series, 'missing', {}), null);
});

const workDir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-probe-test-'));
let cluster: PostgresCluster | undefined;
let server: Server | undefined;
let scrapes = 0;
/** A labelled counter that does not exist until its first increment (null: not yet). */
let lateCounter: number | null = null;
let endpoints: StackEndpoints;

before(async () => {
  cluster = await PostgresCluster.create({ binDir: await findPostgresBinDir(), port: await freePort(), logFile: path.join(workDir, 'pg.log') });
  await cluster.start();
  server = createServer((req, res) => {
    // scrapes_total counts the scrapes: a counter that keeps rising, as a long-lived target's do.
    if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain' }).end(`${EXPOSITION}\nscrapes_total ${(scrapes += 1) + 40}\n${lateCounter === null ? '' : `job_runs_total{outcome="failed"} ${lateCounter}\n`}`);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  endpoints = { targetUrl: `http://127.0.0.1:${port}`, toxiproxyUrl: 'http://127.0.0.1:1', databaseUrl: cluster.url, proxies: {} };
});

after(async () => {
  server?.close();
  await cluster?.remove();
  rmSync(workDir, { recursive: true, force: true });
});

test('a metrics probe reads the sum from the live endpoint', async () => {
  const ctx = probeContext(endpoints, startClock());
  const spec = ProbeSchema.parse({ name: 'waiting', kind: 'metrics', metric: 'db_pool_connections', labels: { state: 'waiting' } });
  const sample = await sampleProbe(spec, ctx);
  assert.equal(sample.ok, true, sample.error);
  assert.equal(sample.value, 3);
  const missing = await sampleProbe(ProbeSchema.parse({ name: 'm', kind: 'metrics', metric: 'nope' }), ctx);
  assert.equal(missing.ok, false);
  assert.match(missing.error ?? '', /no series nope/);
  await ctx.close();
});

test('a metrics probe with since: run counts from its first sample of the run', async () => {
  const ctx = probeContext(endpoints, startClock());
  const spec = ProbeSchema.parse({ name: 'scrapes', kind: 'metrics', metric: 'scrapes_total', since: 'run' });
  const absolute = ProbeSchema.parse({ name: 'scrapes-abs', kind: 'metrics', metric: 'scrapes_total' });
  assert.equal((await sampleProbe(spec, ctx)).value, 0, 'the first sample is the zero');
  assert.equal((await sampleProbe(spec, ctx)).value, 1);
  assert.ok(((await sampleProbe(absolute, ctx)).value ?? 0) > 40, 'absolute (the default) reads the counter as it is');
  assert.equal((await sampleProbe(spec, ctx)).value, 3);
  await ctx.close();
});

test('a metrics probe with since: run counts a series that appears during the run from 0, not from its first value', async () => {
  const ctx = probeContext(endpoints, startClock());
  const spec = ProbeSchema.parse({ name: 'late', kind: 'metrics', metric: 'job_runs_total', labels: { outcome: 'failed' }, since: 'run' });
  lateCounter = null;
  const before = await sampleProbe(spec, ctx);
  assert.equal(before.ok, false, 'no series yet is still reported as such');
  assert.match(before.error ?? '', /no series job_runs_total/);
  lateCounter = 2;
  assert.equal((await sampleProbe(spec, ctx)).value, 2, 'both increments happened during the run');
  lateCounter = 3;
  assert.equal((await sampleProbe(spec, ctx)).value, 3);
  await ctx.close();
  lateCounter = null;
});

test('a SQL probe reads the first cell as a number, and reports bad queries and a stopped database', async () => {
  const ctx = probeContext(endpoints, startClock());
  const count = await sampleProbe(ProbeSchema.parse({ name: 'n', kind: 'sql', query: 'SELECT count(*) FROM generate_series(1, 42)' }), ctx);
  assert.equal(count.ok, true, count.error);
  assert.equal(count.value, 42);
  const text = await sampleProbe(ProbeSchema.parse({ name: 't', kind: 'sql', query: "SELECT 'abc'" }), ctx);
  assert.equal(text.ok, false);
  assert.match(text.error ?? '', /not a number/);
  const slow = await sampleProbe(ProbeSchema.parse({ name: 's', kind: 'sql', query: 'SELECT pg_sleep(2)', timeout: '200ms' }), ctx);
  assert.equal(slow.ok, false);
  assert.match(slow.error ?? '', /timeout/);
  await cluster?.stop();
  const down = await sampleProbe(ProbeSchema.parse({ name: 'n', kind: 'sql', query: 'SELECT 1' }), ctx);
  assert.equal(down.ok, false);
  await cluster?.start();
  await ctx.close();
});

test('a SQL probe with since: run gets the run start as $1, so rows written before the run do not count', async () => {
  const setup = probeContext(endpoints, startClock());
  await setup.db().query('CREATE TABLE since_run (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())');
  await setup.db().query("INSERT INTO since_run (created_at) VALUES (now() - interval '1 minute'), (now() - interval '1 minute')");
  await setup.close();
  const ctx = probeContext(endpoints, startClock(), new Date());
  const spec = ProbeSchema.parse({ name: 'mine', kind: 'sql', since: 'run', query: 'SELECT count(*) FROM since_run WHERE created_at >= $1' });
  assert.equal((await sampleProbe(spec, ctx)).value, 0, 'the rows of an earlier run are not this run\'s');
  await ctx.db().query('INSERT INTO since_run DEFAULT VALUES');
  assert.equal((await sampleProbe(spec, ctx)).value, 1);
  const whole = ProbeSchema.parse({ name: 'all', kind: 'sql', query: 'SELECT count(*) FROM since_run' });
  assert.equal((await sampleProbe(whole, ctx)).value, 3, 'absolute (the default) binds nothing and counts every row');
  await ctx.close();
});

test('a SQL probe uses $1 exactly when it counts since the run', () => {
  assert.equal(ProbeSchema.safeParse({ name: 'a', kind: 'sql', since: 'run', query: 'SELECT count(*) FROM users' }).success, false);
  assert.equal(ProbeSchema.safeParse({ name: 'b', kind: 'sql', query: 'SELECT count(*) FROM users WHERE created_at >= $1' }).success, false);
  assert.equal(ProbeSchema.safeParse({ name: 'c', kind: 'sql', since: 'run', query: 'SELECT count(*) FROM users WHERE created_at >= $1' }).success, true);
});
