import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Journal } from '../../cli/core/journal.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import { compareRuns } from '../../reports/comparison.ts';
import { keyFigures } from '../../reports/figures.ts';
import { renderHtml } from '../../reports/html.ts';
import { loadOutcomes } from '../../reports/outcomes.ts';
import { readJournal, writeRunOutputs, writeHistoryIndex } from '../../reports/write.ts';
import { buildJournal } from './journal-fixture.ts';
import { startTags } from './markup-check.ts';

const FIXTURES = path.join(PACKAGE_ROOT, 'test', 'reports', 'fixtures');
const real = (id: string): Promise<Journal> => readJournal(path.join(FIXTURES, `${id}.journal.json`));

test('L11 (a real run): the 503s its expectation requires while the database is down are expected, not errors', async () => {
  const journal = await real('L11');
  const downLoad = journal.loads.find((l) => l.step === 'health-load-db-down');
  assert.ok(downLoad && downLoad.errors > 0, 'the journal counts the 503s as failed requests');
  const outcome = loadOutcomes(journal, downLoad);
  assert.equal(outcome.requiredCount, downLoad.statusCounts['503']);
  assert.equal(outcome.errors, downLoad.errors - (downLoad.statusCounts['503'] ?? 0));
  assert.deepEqual(outcome.because, ['health-503-when-db-down']);
  const html = renderHtml(journal);
  assert.match(html, /Required outcomes/);
  assert.doesNotMatch(html, /class="value bad">[^<]*<\/div><div class="sub">[1-9][\d,]* errors/, 'the requests card is not red');
  assert.match(html, /0 errors \(0%\), [\d,]+ required by the scenario/);
  const figures = keyFigures(journal);
  assert.equal(figures.errors, 0);
  assert.equal(figures.errorRate, 0);
});

test('L11 as this version journals it: the load and the probe meet on the target path their drivers named, not on their kinds', async () => {
  const old = await real('L11');
  const downLoad = old.loads.find((l) => l.step === 'health-load-db-down');
  assert.ok(downLoad);
  const named = (targetPath: string | undefined): Journal => ({
    ...old,
    loads: old.loads.map((l) => ({ ...l, ...(targetPath === undefined ? {} : { targetPath }) })),
    probes: old.probes.map((p) => ({ ...p, description: `probe ${p.name}`, ...(targetPath === undefined ? {} : { targetPath }) })),
  });
  const outcome = (journal: Journal): number => loadOutcomes(journal, journal.loads.find((l) => l.step === downLoad.step) ?? downLoad).requiredCount;
  assert.equal(outcome(named('/health')), downLoad.statusCounts['503']);
  assert.equal(outcome(named(undefined)), 0, 'drivers that name no target path: their specs\' paths do not count');
});

test('a 503 outside the fault window, or on a load no expectation speaks for, stays an error', () => {
  const journal = buildJournal('passed');
  const load = journal.loads[0];
  assert.ok(load);
  // This load runs over the whole timeline, before and after the outage: its 503s cannot be told apart, so they count.
  const outcome = loadOutcomes(journal, load);
  assert.equal(outcome.requiredCount, 0);
  assert.equal(outcome.errors, load.errors);
  const noSubject: Journal = { ...journal, expectations: journal.expectations.map(({ subject: _subject, ...rest }) => rest) };
  assert.equal(loadOutcomes(noSubject, load).errors, load.errors, 'an old journal without subjects keeps its errors');
});

test('C2 (a real run): a load that does not time its replies says "not measured" instead of 0 ms', async () => {
  const journal = await real('C2');
  assert.ok(journal.loads.some((l) => l.latency.count === 0 && l.requests > 0), 'the fixture has an untimed load');
  const html = renderHtml(journal);
  assert.match(html, /Latency not measured/);
  assert.match(html, /not measured: this load does not time its replies/);
  assert.match(html, /200 sent; not counted per second \(replies not checked\)/, 'an empty chart says what was sent');
  assert.equal(keyFigures(journal).p95Ms === 0, false);
});

test('L5 (a real run without load): the page shows what was sent, plots the judged values, and says why it failed at the top', async () => {
  const journal = await real('L5');
  const html = renderHtml(journal);
  assert.doesNotMatch(html, /<div class="label">Requests<\/div><div class="value">0</);
  assert.match(html, /<div class="label">Sent<\/div>/);
  assert.match(html, /class="chart probe-chart probe-value-chart"[^>]*aria-label="Value of probe reminders-delivered/);
  assert.match(html, /one-reminder-per-user: = 10,000/, 'the level the expectation judges is drawn');
  const failed = journal.expectations.filter((e) => !e.passed).map((e) => e.id);
  assert.ok(failed.length > 0);
  const why = html.slice(html.indexOf('id="why"'), html.indexOf('</div>', html.indexOf('id="why"')));
  for (const id of failed) assert.ok(why.includes(id), `the top names ${id}`);
  assert.ok(html.indexOf('id="why"') < html.indexOf('class="description"'), 'the reason comes before the description');
});

test('comparison: a p95 three times higher is a regression, the same figures are not', async () => {
  const before = await real('L11');
  const slower: Journal = { ...before, loads: before.loads.map((l) => ({ ...l, correctedLatency: { ...l.correctedLatency, p95: l.correctedLatency.p95 * 3 } })) };
  const rows = compareRuns(before, slower);
  assert.deepEqual(rows.filter((r) => r.regression).map((r) => r.figure), ['p95Ms']);
  assert.deepEqual(compareRuns(before, before).filter((r) => r.regression || r.improvement), []);
  const fewerPassed: Journal = { ...before, expectations: before.expectations.map((e, i) => (i === 0 ? { ...e, passed: false } : e)) };
  assert.ok(compareRuns(before, fewerPassed).find((r) => r.figure === 'expectationsPassed')?.regression);
});

test('history: the second run of a scenario links and compares with the first; the output folder lists both; compare prints the table', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-history-'));
  try {
    const first = await real('L11');
    const second: Journal = {
      ...first,
      runId: 'run-2',
      startedAt: new Date(Date.parse(first.startedAt) + 3_600_000).toISOString(),
      loads: first.loads.map((l) => ({ ...l, correctedLatency: { ...l.correctedLatency, p95: l.correctedLatency.p95 * 4 } })),
    };
    await writeRunOutputs([first], path.join(root, 'run-1'), { outRoot: root });
    await writeRunOutputs([second], path.join(root, 'run-2'), { outRoot: root });
    const page = await readFile(path.join(root, 'run-2', 'L11.html'), 'utf8');
    assert.match(page, /<h2>Compared with the previous run <a href="..\/run-1\/L11.html">/);
    assert.match(page, /badge-failed">regression/);
    assert.match(page, /class="chart trend-chart"/);
    const index = await readFile(await writeHistoryIndex(root), 'utf8');
    assert.deepEqual(startTags(index, 'a').map((a) => a.href), ['run-2/index.html', 'run-1/index.html']);
    const cli = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, 'cli', 'bin', 'chaosctl.js'), 'compare', 'run-1', 'run-2', '--out', root, '--json'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const json = JSON.parse(cli.stdout) as { regressions: number; scenarios: Array<{ id: string; rows: Array<{ figure: string; regression: boolean }> }> };
    assert.equal(json.regressions, 1);
    assert.equal(json.scenarios[0]?.rows.find((r) => r.figure === 'p95Ms')?.regression, true);
    await mkdir(path.join(root, 'empty'));
    await writeFile(path.join(root, 'empty', 'note.txt'), 'not a run');
    const missing = spawnSync(process.execPath, [path.join(PACKAGE_ROOT, 'cli', 'bin', 'chaosctl.js'), 'compare', 'run-1', 'empty', '--out', root], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /CHAOSCTL_E_USAGE/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('run --json: report paths, and per scenario its verdict, each expectation and the key figures', async () => {
  const { runSummaryJson } = await import('../../cli/commands/run.ts');
  const l11 = await real('L11');
  const l5 = await real('L5');
  const json = runSummaryJson([l11, l5], { dir: '/out/run-1', pages: new Map([[l11, '/out/run-1/L11.html'], [l5, '/out/run-1/L5.html']]) }) as {
    status: Array<{ id: string; status: string }>;
    index: string;
    junit: string;
    scenarios: Array<{ id: string; status: string; report: string; figures: { p95Ms: number | null; errors: number; requiredOutcomes: number }; expectations: Array<{ id: string; passed: boolean }> }>;
  };
  assert.deepEqual(json.status.map((s) => [s.id, s.status]), [['L11', 'passed'], ['L5', 'failed']], 'the earlier shape is kept');
  assert.equal(json.index, '/out/run-1/index.html');
  assert.equal(json.junit, '/out/run-1/junit.xml');
  const [first, second] = json.scenarios;
  assert.equal(first?.report, '/out/run-1/L11.html');
  assert.equal(first?.figures.errors, 0);
  assert.ok((first?.figures.requiredOutcomes ?? 0) > 0);
  assert.ok((first?.figures.p95Ms ?? 0) > 0);
  assert.equal(first?.expectations.length, l11.expectations.length);
  assert.equal(second?.figures.p95Ms, null, 'L5 sends no load: no p95, not 0');
  assert.deepEqual(second?.expectations.filter((e) => !e.passed).map((e) => e.id), l5.expectations.filter((e) => !e.passed).map((e) => e.id));
});
