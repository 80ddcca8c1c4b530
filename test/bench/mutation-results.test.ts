/**
 * The mutation bench's pure core: Stryker's progress lines into records,
 * merging across runs, verdicts, tallies, the report, and the sample drawn
 * within a budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MutationModule } from '../../bench/mutation/modules.ts';
import { mutantKey, type CensusMutant, type MutantRecord, type Span } from '../../bench/mutation/mutant.ts';
import type { ProgressLine } from '../../bench/mutation/progress-reporter.ts';
import { judge, mergeRecords, recordsFromProgress, renderReport, score, spanText, summarize } from '../../bench/mutation/results.ts';
import { drawSample } from '../../bench/mutation/sample.ts';
import { HARNESS_FAULT, SCENARIO_TIMEOUT } from '../../bench/mutation/scenario-command.ts';
import { leaseCovers } from '../../bench/mutation/scenario-lease.ts';

const MODULES: MutationModule[] = [
  { name: 'health', clauses: ['L11', 'C1'], files: [{ file: 'target/health/db-check.ts', scenarios: ['L11'], source: 'test' }] },
  { name: 'alerts', clauses: ['C1', 'C4'], files: [{ file: 'target/alerts/alert-service.ts', scenarios: ['C4'], source: 'test' }] },
];

function span(line: number, from: number, to: number, endLine = line): Span {
  return { start: { line, column: from }, end: { line: endLine, column: to } };
}

function mutant(file: string, module: string, location: Span, mutatorName = 'ConditionalExpression', replacement = 'true'): CensusMutant {
  const base = { file, mutatorName, replacement, location };
  return { ...base, key: mutantKey(base), module, fileHash: `hash-of-${file}` };
}

const A = mutant('target/health/db-check.ts', 'health', span(9, 4, 20));
const A_INNER = mutant('target/health/db-check.ts', 'health', span(9, 8, 12), 'EqualityOperator', 'a >= b');
const B = mutant('target/health/db-check.ts', 'health', span(30, 2, 10), 'StringLiteral', '""');
const C = mutant('target/alerts/alert-service.ts', 'alerts', span(40, 0, 5));
const CENSUS = [A, A_INNER, B, C];

function progress(m: CensusMutant, status: string, at: string, statusReason?: string): ProgressLine {
  const { start, end } = m.location;
  return {
    fileName: `/work/x/${m.file}`,
    mutatorName: m.mutatorName,
    replacement: m.replacement,
    location: { start: { line: start.line + 1, column: start.column + 1 }, end: { line: end.line + 1, column: end.column + 1 } },
    status,
    ...(statusReason ? { statusReason } : {}),
    at,
  };
}

test('progress lines become records of their census mutants (1-based Stryker places, 0-based census), timed by their gaps', () => {
  const records = recordsFromProgress(
    [
      progress(A, 'Killed', '2026-12-04T10:00:00.000Z', 'L11: exit 1\n✗ L11 p95-under-200ms'),
      progress(B, 'Survived', '2026-12-04T10:01:30.000Z'),
      progress(C, 'Killed', '2026-12-04T10:02:00.000Z', `${HARNESS_FAULT}: chaosctl up exit 3`),
      progress(A_INNER, 'Killed', '2026-12-04T10:02:30.000Z', `L11: ${SCENARIO_TIMEOUT} after 300 s`),
      { ...progress(C, 'Survived', '2026-12-04T10:03:00.000Z'), replacement: 'not in the census' },
    ],
    CENSUS,
    '/work/x',
  );
  assert.deepEqual(
    records.map((r) => [r.key, r.status, r.durationMs]),
    [
      [A.key, 'Killed', undefined],
      [B.key, 'Survived', 90_000],
      [A_INNER.key, 'Timeout', 30_000],
    ],
  );
  assert.match(records[0]?.statusReason ?? '', /p95-under-200ms/);
});

test('merging keeps every mutant once, the later measurement winning', () => {
  const old: MutantRecord[] = [
    { ...A, status: 'Survived', measuredAt: '1' },
    { ...B, status: 'Killed', measuredAt: '1' },
  ];
  const fresh: MutantRecord[] = [
    { ...A, status: 'Killed', measuredAt: '2' },
    { ...C, status: 'Timeout', measuredAt: '2' },
  ];
  const merged = mergeRecords(old, fresh);
  assert.deepEqual(merged.map((r) => [r.key, r.status]).sort(), [
    [A.key, 'Killed'],
    [B.key, 'Killed'],
    [C.key, 'Timeout'],
  ].sort());
  assert.deepEqual(merged, mergeRecords(merged, []), 'merging nothing new changes nothing');
});

test('verdicts: reviewed survivors are equivalent with their reason, stale records are left out, errors sit outside the score', () => {
  const records: MutantRecord[] = [
    { ...A, status: 'Killed', measuredAt: 'x' },
    { ...A_INNER, status: 'Timeout', measuredAt: 'x' },
    { ...B, status: 'Survived', measuredAt: 'x' },
    { ...C, status: 'Survived', measuredAt: 'x' },
    { ...C, key: 'gone', status: 'Killed', measuredAt: 'x' },
    { ...C, key: C.key, fileHash: 'older content', status: 'Killed', measuredAt: 'x' },
  ];
  const lines: Record<string, string[]> = { 'target/health/db-check.ts': [...Array<string>(30).fill(''), "  log.info('checked');"] };
  const { judged, stale } = judge(
    [...records.slice(0, 4), records[4] as MutantRecord],
    CENSUS,
    [{ file: B.file, mutatorName: 'StringLiteral', replacement: '""', original: "log.info", reason: 'log text only' }],
    (file, at) => spanText(lines[file] ?? [], at),
  );
  assert.equal(stale, 1);
  assert.deepEqual(
    judged.map((r) => [r.key, r.verdict, r.equivalentReason]),
    [
      [A.key, 'killed', undefined],
      [A_INNER.key, 'timeout', undefined],
      [B.key, 'equivalent', 'log text only'],
      [C.key, 'survived', undefined],
    ],
  );
  assert.equal(spanText(['  if (a > b) {', 'x'], span(0, 6, 11)), 'a > b');
  assert.equal(spanText(['  call({', '  })'], span(0, 7, 3, 1)), '{', 'a span of several lines: its first line');
  const stalePerHash = judge([records[5] as MutantRecord], CENSUS, [], () => '');
  assert.equal(stalePerHash.stale, 1, 'a record of an older file content is stale');

  const summary = summarize(judged, CENSUS, MODULES);
  assert.deepEqual(summary.total, { killed: 1, survived: 1, equivalent: 1, timeout: 1, error: 0, population: 4 });
  assert.deepEqual(summary.modules.find((m) => m.name === 'health')?.tally, { killed: 1, survived: 0, equivalent: 1, timeout: 1, error: 0, population: 3 });
  const c1 = summary.clauses.find((c) => c.clause === 'C1');
  assert.deepEqual(c1?.modules, ['health', 'alerts']);
  assert.equal(c1?.tally.survived, 1);
  assert.deepEqual(summary.clauses.map((c) => c.clause), ['C1', 'C4', 'L11']);
  assert.equal(score(summary.total), 2 / 3);
  assert.equal(score({ killed: 0, survived: 0, equivalent: 2, timeout: 0, error: 1, population: 3 }), null);

  const report = renderReport(summary, judged, { generatedAt: '2026-12-04T19:00:00Z', stale });
  assert.match(report, /\| health \| 1 \| 0 \| 1 \| 1 \| 0 \| 3 \/ 3 \| 100 % \|/);
  assert.match(report, /\| \*\*all\*\* \| 1 \| 1 \| 1 \| 1 \| 0 \| 4 \/ 4 \| 67 % \|/);
  assert.match(report, /- target\/alerts\/alert-service\.ts:41 ConditionalExpression → `true` \(alerts\)/);
  assert.match(report, /- target\/health\/db-check\.ts:31 StringLiteral → `""`: log text only/);
  assert.match(report, /1 older measurements left out/);
});

test('the sample: seeded, within budget, whole spans, nothing measured twice', () => {
  const request = { census: CENSUS, measured: new Set<string>(), budgetMs: 10_000, estimateMs: () => 1000, seed: 4 };
  const all = drawSample(request);
  assert.deepEqual(new Set(all.mutants.map((m) => m.key)), new Set(CENSUS.map((m) => m.key)), 'a big budget takes everything');
  assert.ok(all.patterns.includes('target/health/db-check.ts:10:4-10:20'), 'a seed becomes the exact Stryker range of its span');
  assert.deepEqual(drawSample(request), all, 'the same seed draws the same sample');

  const small = drawSample({ ...request, budgetMs: 1000 });
  assert.equal(small.mutants.length, 1);
  assert.equal(small.estimatedMs, 1000);

  const rest = drawSample({ ...request, measured: new Set([A_INNER.key]) });
  assert.ok(!rest.mutants.some((m) => m.key === A.key || m.key === A_INNER.key), 'a span holding a measured mutant is not drawn');
  assert.equal(drawSample({ ...request, maxMutants: 2 }).mutants.length <= 2, true);

  const long = mutant('target/alerts/alert-service.ts', 'alerts', span(50, 0, 1, 60), 'BlockStatement', '{}');
  assert.deepEqual(drawSample({ ...request, census: [long] }).mutants, [], 'a whole-function span is never a seed');
});

test('a lock slice lets a mutant start only while its whole run fits in what is left', () => {
  const lease = { acquiredAt: 1_000_000, durationMs: 300_000 };
  assert.equal(leaseCovers(lease, 1_000_000, 120_000), true);
  assert.equal(leaseCovers(lease, 1_180_000, 120_000), true);
  assert.equal(leaseCovers(lease, 1_180_001, 120_000), false);
});
