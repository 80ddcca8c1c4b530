import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Journal } from '../../cli/core/journal.ts';
import { escapeMarkup, escapeXmlAttr, stripForbiddenChars } from '../../reports/escape.ts';
import { junitSuite, renderJunit, toIsoTimestamp } from '../../reports/junit.ts';
import { HOSTILE, buildEmptyJournal, buildHostileJournal, buildJournal } from './journal-fixture.ts';
import { checkMarkup, forbiddenChars, startTags } from './markup-check.ts';

/** Each <testcase> with its attributes and inner XML ('' when self-closing). */
function testCases(xml: string): Array<{ attrs: Record<string, string>; inner: string }> {
  const cases: Array<{ attrs: Record<string, string>; inner: string }> = [];
  for (const match of xml.matchAll(/<testcase((?:\s+[\w.-]+="[^"]*")*)\s*(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = startTags(`<testcase${match[1] ?? ''}>`, 'testcase')[0] ?? {};
    cases.push({ attrs, inner: match[2] ?? '' });
  }
  return cases;
}

function counts(attrs: Record<string, string> | undefined): { tests: number; failures: number; errors: number } {
  assert.ok(attrs, 'element not found');
  return { tests: Number(attrs.tests), failures: Number(attrs.failures), errors: Number(attrs.errors) };
}

test('a passed run: one case per steady-state check and expectation, nothing failed', () => {
  const journal = buildJournal('passed');
  const xml = renderJunit([journal]);
  assert.deepEqual(checkMarkup(xml, 'xml'), []);
  const expected = { tests: 1 + 4 + 1, failures: 0, errors: 0 };
  assert.deepEqual(counts(startTags(xml, 'testsuite')[0]), expected);
  assert.deepEqual(counts(startTags(xml, 'testsuites')[0]), expected);
  assert.equal(testCases(xml).length, 6);
  assert.doesNotMatch(xml, /<failure|<error/);
});

test('suite names are "<id>: <title>"; case names are the scenario id and expectation id, stable when a threshold changes', () => {
  const journal = buildJournal('passed');
  const xml = renderJunit([journal]);
  assert.equal(startTags(xml, 'testsuite')[0]?.name, 'C1: PostgreSQL outage: health degrades and recovers');
  const names = testCases(xml).map((c) => c.attrs.name);
  assert.ok(names.includes('C1 health-p95'), names.join('\n'));
  assert.ok(names.includes('C1 steady-state-before health'));
  assert.ok(names.includes('C1 steady-state-after health'));
  assert.ok(testCases(xml).every((c) => c.attrs.classname === 'chaosctl.C1'));
  // The assertion text moves to the case's output, so a new threshold keeps the name.
  const tightened: Journal = { ...journal, expectations: journal.expectations.map((e) => ({ ...e, assertion: `${e.assertion} (tightened)` })) };
  assert.deepEqual(testCases(renderJunit([tightened])).map((c) => c.attrs.name), names);
  assert.match(xml, /<system-out>L11: p95 of health-load &lt; 500 ms|<system-out>[^<]*p95 of health-load &lt; 500 ms/);
});

test('each expectation case takes the time of what it judged: the load it measured or the window it sampled', () => {
  const journal = buildJournal('passed');
  const suite = junitSuite(journal);
  const load = journal.loads[0];
  assert.ok(load);
  const latencyCase = suite.cases.find((c) => c.name === 'C1 health-p95');
  assert.equal(latencyCase?.timeSeconds, (load.endedMs - load.startedMs) / 1000);
  const probeResult = journal.expectations.find((e) => e.kind === 'probe');
  assert.ok(probeResult);
  const probeCase = suite.cases.find((c) => c.name === `C1 ${probeResult.id}`);
  const { windowStartMs, windowEndMs } = probeResult.evidence as { windowStartMs: number; windowEndMs: number };
  assert.equal(probeCase?.timeSeconds, (windowEndMs - windowStartMs) / 1000);
  assert.ok(suite.cases.filter((c) => !c.name.includes('steady')).every((c) => c.timeSeconds > 0), 'no expectation case is timed 0');
});

test('the same scenario twice, or sabotaged, never gives two suites the same name', () => {
  const healthy = buildJournal('passed');
  const sabotaged: Journal = { ...healthy, environment: { ...healthy.environment, sabotage: ['health-db-check'] } };
  const names = startTags(renderJunit([healthy, sabotaged, healthy]), 'testsuite').map((s) => s.name);
  assert.deepEqual(names, [
    'C1: PostgreSQL outage: health degrades and recovers',
    'C1: PostgreSQL outage: health degrades and recovers [sabotage: health-db-check]',
    'C1: PostgreSQL outage: health degrades and recovers #2',
  ]);
});

test('a failed run: a <failure> inside the case of each failed expectation, naming what was observed', () => {
  const journal = buildJournal('failed');
  const failed = journal.expectations.filter((e) => !e.passed);
  assert.ok(failed.length > 0, 'the fixture has failed expectations');
  const xml = renderJunit([journal]);
  assert.deepEqual(checkMarkup(xml, 'xml'), []);
  assert.deepEqual(counts(startTags(xml, 'testsuite')[0]), { tests: 6, failures: failed.length, errors: 0 });
  for (const expectation of failed) {
    const testCase = testCases(xml).find((c) => c.attrs.name === `C1 ${expectation.id}`);
    assert.ok(testCase, `no case for ${expectation.id}`);
    const failure = startTags(testCase.inner, 'failure')[0];
    assert.equal(failure?.type, 'expectation');
    assert.equal(failure?.message, `observed ${expectation.observed}`);
    assert.ok(testCase.inner.includes(escapeMarkup(expectation.text)), 'the failure body quotes the seed text');
  }
  const passedCases = testCases(xml).filter((c) => !c.inner.includes('<failure'));
  assert.equal(passedCases.length, 6 - failed.length);
});

test('an error run: one <error> case carrying the reason, counted as an error', () => {
  const journal = buildEmptyJournal();
  const xml = renderJunit([journal]);
  assert.deepEqual(checkMarkup(xml, 'xml'), []);
  assert.deepEqual(counts(startTags(xml, 'testsuite')[0]), { tests: 1, failures: 0, errors: 1 });
  const [only] = testCases(xml);
  assert.equal(only?.attrs.name, 'run error');
  const error = startTags(only?.inner ?? '', 'error')[0];
  assert.equal(error?.type, 'error');
  assert.equal(error?.message, journal.reason);
});

test('an interrupted run keeps its passed cases and adds an "interrupted" error case', () => {
  const journal: Journal = { ...buildJournal('passed'), status: 'interrupted', reason: 'interrupted by SIGINT; faults reverted' };
  const xml = renderJunit([journal]);
  assert.deepEqual(counts(startTags(xml, 'testsuite')[0]), { tests: 7, failures: 0, errors: 1 });
  assert.equal(startTags(xml, 'error')[0]?.type, 'interrupted');
  assert.equal(startTags(xml, 'error')[0]?.message, 'interrupted by SIGINT; faults reverted');
});

test('a failed run whose cases all passed still shows red, through a "run verdict" failure', () => {
  const journal: Journal = { ...buildJournal('passed'), status: 'failed', reason: 'fault db-down was not in place in time' };
  const suite = junitSuite(journal);
  const verdict = suite.cases.find((c) => c.name === 'run verdict');
  assert.equal(verdict?.problem?.kind, 'failure');
  assert.equal(verdict?.problem?.message, 'fault db-down was not in place in time');
  assert.deepEqual(counts(startTags(renderJunit([journal]), 'testsuite')[0]), { tests: 7, failures: 1, errors: 0 });
});

test('failed steady-state checks and fault errors become failures and errors', () => {
  const base = buildJournal('passed');
  const journal: Journal = {
    ...base,
    steadyState: { ...base.steadyState, before: base.steadyState.before.map((c) => ({ ...c, passed: false, last: null })) },
    faults: base.faults.map((f) => ({ ...f, revertError: 'toxiproxy: connection refused' })),
  };
  const xml = renderJunit([journal]);
  assert.deepEqual(counts(startTags(xml, 'testsuite')[0]), { tests: 7, failures: 1, errors: 1 });
  assert.match(startTags(xml, 'failure')[0]?.message ?? '', /no sample was taken/);
  assert.equal(startTags(xml, 'error')[0]?.message, 'revert failed: toxiproxy: connection refused');
});

test('<testsuites> sums the counts of every suite', () => {
  const journals = [buildJournal('passed'), buildJournal('failed'), buildEmptyJournal()];
  const xml = renderJunit(journals);
  assert.deepEqual(checkMarkup(xml, 'xml'), []);
  const suites = startTags(xml, 'testsuite').map(counts);
  assert.equal(suites.length, 3);
  const sum = suites.reduce((a, b) => ({ tests: a.tests + b.tests, failures: a.failures + b.failures, errors: a.errors + b.errors }));
  assert.deepEqual(counts(startTags(xml, 'testsuites')[0]), sum);
  assert.deepEqual(sum, { tests: 6 + 6 + 1, failures: 4, errors: 1 });
  assert.equal(testCases(xml).length, sum.tests);
});

test('an empty list renders an empty but valid <testsuites>', () => {
  const xml = renderJunit([]);
  assert.deepEqual(checkMarkup(xml, 'xml'), []);
  assert.deepEqual(counts(startTags(xml, 'testsuites')[0]), { tests: 0, failures: 0, errors: 0 });
});

test('times are seconds and timestamps ISO 8601 in UTC', () => {
  const journal: Journal = { ...buildJournal('passed'), startedAt: 'Sat, 01 Mar 2025 13:00:00 +0100' };
  const xml = renderJunit([journal]);
  const suite = startTags(xml, 'testsuite')[0];
  assert.equal(suite?.timestamp, '2025-03-01T12:00:00.000Z');
  assert.equal(suite?.time, '24.350');
  assert.equal(startTags(xml, 'testsuites')[0]?.timestamp, '2025-03-01T12:00:00.000Z');
  assert.ok(testCases(xml).every((c) => /^\d+\.\d{3}$/.test(c.attrs.time ?? '')));
  assert.equal(toIsoTimestamp('not a date'), 'not a date');
});

test('hostile text is escaped everywhere and the document stays well-formed', () => {
  const xml = renderJunit([buildHostileJournal()]);
  assert.deepEqual(checkMarkup(xml, 'xml'), []);
  assert.doesNotMatch(xml, /<script/);
  assert.match(xml, /&lt;script&gt;alert\(&quot;x&amp;y&quot;\)&lt;\/script&gt; &#39;q&#39;/);
  assert.deepEqual(forbiddenChars(xml), []);
  const suite = startTags(xml, 'testsuite')[0];
  assert.equal(suite?.name, `C1: ${stripForbiddenChars(HOSTILE)} [sabotage: ${stripForbiddenChars(HOSTILE)}]`);
  const failure = startTags(xml, 'failure').find((f) => f.type === 'expectation');
  assert.equal(failure?.message, `observed ${stripForbiddenChars(HOSTILE)}`);
});

test('escaping: the five special characters, forbidden characters, and whitespace in attributes', () => {
  const cases: Array<[string, string, string]> = [
    // input, element content, XML attribute
    ['a & b', 'a &amp; b', 'a &amp; b'],
    ['<x y="1">', '&lt;x y=&quot;1&quot;&gt;', '&lt;x y=&quot;1&quot;&gt;'],
    ["it's", 'it&#39;s', 'it&#39;s'],
    ['bell\u0007 nul\u0000 esc\u001B del\u007F c1\u0085', 'bell nul esc del c1', 'bell nul esc del c1'],
    ['lone \uD800 surrogate, \uFFFE \uFFFF', 'lone  surrogate,  ', 'lone  surrogate,  '],
    ['emoji 🔥 and é stay', 'emoji 🔥 and é stay', 'emoji 🔥 and é stay'],
    ['line1\nline2\ttab\r', 'line1\nline2\ttab\r', 'line1&#10;line2&#9;tab&#13;'],
    ['&amp; is not trusted', '&amp;amp; is not trusted', '&amp;amp; is not trusted'],
  ];
  for (const [input, content, attr] of cases) {
    assert.equal(escapeMarkup(input), content, JSON.stringify(input));
    assert.equal(escapeXmlAttr(input), attr, JSON.stringify(input));
  }
});
