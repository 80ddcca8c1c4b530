import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketPercentile, deliveryRate, firstStatusAfter, ratio } from '../../bench/journal-figures.ts';
import type { ProbeSample } from '../../cli/core/journal.ts';
import { cpuPercentBetween, cpuTicksOf, statusKb } from '../../bench/proc-sampler.ts';
import { copyText, replaceStep } from '../../bench/scenario-copies.ts';
import { parse } from 'yaml';

const sample = (tMs: number, status: number, latencyMs = 5): ProbeSample => ({ tMs, ok: status === 200, status, latencyMs });

test('first 503 after the fault: measured to the end of the first such answer', () => {
  const samples = [sample(900, 200), sample(1000, 200), sample(1100, 503, 20), sample(1200, 503)];
  assert.equal(firstStatusAfter(samples, 1005, 503), 115);
  assert.equal(firstStatusAfter(samples, 1005, 418), null);
});

test('an answer that ended before the instant does not count', () => {
  assert.equal(firstStatusAfter([sample(100, 200), sample(600, 200)], 300, 200), 305);
});

test('a percentile from cumulative buckets is the first bound holding that share', () => {
  const buckets = [
    { le: 5, count: 40 },
    { le: 10, count: 48 },
    { le: 25, count: 50 },
  ];
  assert.equal(bucketPercentile(buckets, 50, 50), 5);
  assert.equal(bucketPercentile(buckets, 50, 95), 10);
  assert.equal(bucketPercentile(buckets, 50, 99), 25);
  assert.equal(bucketPercentile(buckets, 60, 95), null);
  assert.equal(bucketPercentile(buckets, 0, 95), null);
});

test('delivery rate and ratios refuse what cannot be divided', () => {
  assert.equal(deliveryRate(9400, 1000, 17_000), 587.5);
  assert.equal(deliveryRate(9400, 1000, null), null);
  assert.equal(ratio(3, 4), 0.75);
  assert.equal(ratio(3, 0), null);
  assert.equal(ratio(null, 4), null);
});

test('/proc stat: utime + stime, also with a command name holding spaces and parentheses', () => {
  const fields = ['S', ...Array.from({ length: 10 }, (_, i) => String(i)), '150', '25', '0', '0'];
  assert.equal(cpuTicksOf(`1234 (node (x) y) ${fields.join(' ')}`), 175);
  assert.equal(statusKb('Name:\tnode\nVmHWM:\t  104220 kB\nVmRSS:\t   98000 kB\n', 'VmHWM'), 104220);
  assert.equal(statusKb('Name:\tnode\n', 'VmHWM'), null);
});

test('CPU % of one core over a window, from tick samples inside it', () => {
  const samples = [
    { atMs: 0, cpuTicks: 0, rssKb: 0, hwmKb: 0 },
    { atMs: 1000, cpuTicks: 50, rssKb: 0, hwmKb: 0 },
    { atMs: 3000, cpuTicks: 60, rssKb: 0, hwmKb: 0 },
    { atMs: 5000, cpuTicks: 70, rssKb: 0, hwmKb: 0 },
  ];
  assert.equal(cpuPercentBetween(samples, 1000, 5000, 100), 5);
  assert.equal(cpuPercentBetween(samples, 4000, 4500, 100), null);
});

test('a scenario copy gets its override and its new id; a missing step is an error', () => {
  const yaml = 'id: L1\ntitle: t\ntimeline:\n  steps:\n    - { name: a, at: 0s }\n    - { name: b, at: 1s }\n';
  const text = copyText(yaml, { id: 'L1-X', from: 'L1', override: (doc) => replaceStep(doc, 'b', { name: 'c', at: '2s' }) });
  const doc = parse(text) as { id: string; timeline: { steps: Array<{ name: string }> } };
  assert.equal(doc.id, 'L1-X');
  assert.deepEqual(doc.timeline.steps.map((s) => s.name), ['a', 'c']);
  assert.throws(() => copyText(yaml, { id: 'L1-Y', from: 'L1', override: (d) => replaceStep(d, 'zz', {}) }), /has no step zz/);
});
