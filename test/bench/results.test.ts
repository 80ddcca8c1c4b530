import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResults, describeGoal, evaluateGoal, formatMarkdownTable, formatTable, toResult } from '../../bench/results.ts';
import type { Figure } from '../../bench/results.ts';

test('goals: at least, at most, a band, none', () => {
  assert.equal(evaluateGoal(0.9, { kind: 'atLeast', value: 0.9 }), true);
  assert.equal(evaluateGoal(0.89, { kind: 'atLeast', value: 0.9 }), false);
  assert.equal(evaluateGoal(20, { kind: 'atMost', value: 20 }), true);
  assert.equal(evaluateGoal(20.1, { kind: 'atMost', value: 20 }), false);
  assert.equal(evaluateGoal(1.2, { kind: 'between', min: 0.8, max: 1.2 }), true);
  assert.equal(evaluateGoal(0.79, { kind: 'between', min: 0.8, max: 1.2 }), false);
  assert.equal(evaluateGoal(5, { kind: 'none' }), null);
});

test('nothing measured is never "met"', () => {
  assert.equal(evaluateGoal(null, { kind: 'atMost', value: 1 }), null);
  assert.equal(evaluateGoal(Number.NaN, { kind: 'atMost', value: 1 }), null);
});

test('goals in words carry the unit, ratios none', () => {
  assert.equal(describeGoal({ kind: 'atMost', value: 200 }, 'ms'), '≤ 200 ms');
  assert.equal(describeGoal({ kind: 'atLeast', value: 0.9 }, 'ratio'), '≥ 0.9');
  assert.equal(describeGoal({ kind: 'between', min: 0.98, max: 1.02 }, 'ratio'), '0.98 – 1.02');
  assert.equal(describeGoal({ kind: 'none' }, 'ms'), '—');
});

const figures: Figure[] = [
  { name: 'L11 /health p99', value: 4.81234, unit: 'ms', goal: { kind: 'atMost', value: 20 } },
  { name: 'throughput vs wrk', value: 0.85, unit: 'ratio', goal: { kind: 'atLeast', value: 0.9 } },
  { name: 'vegeta p50', value: null, unit: 'ratio', goal: { kind: 'atMost', value: 1.5 }, note: 'go is missing' },
];

test('results.json: machine, date and one entry per figure with its verdict', () => {
  const results = buildResults('2 cores', new Date('2026-12-04T18:00:00Z'), figures);
  assert.equal(results.machine, '2 cores');
  assert.equal(results.date, '2026-12-04T18:00:00.000Z');
  assert.deepEqual(results.figures, [
    { name: 'L11 /health p99', value: 4.812, unit: 'ms', goal: '≤ 20 ms', met: true },
    { name: 'throughput vs wrk', value: 0.85, unit: 'ratio', goal: '≥ 0.9', met: false },
    { name: 'vegeta p50', value: null, unit: 'ratio', goal: '≤ 1.5', met: null, note: 'go is missing' },
  ]);
});

test('the table shows value, goal and verdict per figure, and the notes under it', () => {
  const table = formatTable(figures.map(toResult));
  const lines = table.split('\n');
  assert.match(lines[0] as string, /^figure\s+value\s+goal\s+met\?$/);
  assert.match(table, /L11 \/health p99\s+4\.812 ms\s+≤ 20 ms\s+yes/);
  assert.match(table, /throughput vs wrk\s+0\.85\s+≥ 0\.9\s+NO/);
  assert.match(table, /vegeta p50\s+—\s+≤ 1\.5\s+skipped/);
  assert.match(table, /^vegeta p50: go is missing$/m);
});

test('the Markdown table has one row per figure', () => {
  const md = formatMarkdownTable(figures.map(toResult)).split('\n');
  assert.equal(md.length, 2 + figures.length);
  assert.equal(md[2], '| L11 /health p99 | 4.812 ms | ≤ 20 ms | yes |');
});
