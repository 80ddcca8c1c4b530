/**
 * JUnit XML reporter: one <testsuite> per scenario run, one <testcase> per expectation
 * and per steady-state check, so CI systems show seed clauses as tests.
 */
import type { ExpectationResult, FaultRecord, Journal, SteadyCheckResult } from '../cli/engine/journal.ts';
import { escapeMarkup, escapeXmlAttr } from './escape.ts';

/** A problem attached to a test case: an assertion that did not hold, or something that broke. */
interface Problem {
  kind: 'failure' | 'error';
  message: string;
  type: string;
  body: string;
}

/** One <testcase>, before rendering. */
export interface JunitCase {
  classname: string;
  name: string;
  timeSeconds: number;
  problem?: Problem;
}

/** One <testsuite>, before rendering. */
export interface JunitSuite {
  name: string;
  timestamp: string;
  timeSeconds: number;
  properties: Array<[string, string]>;
  cases: JunitCase[];
  systemOut: string;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
}

/** Renders the runs of a chaosctl invocation as one JUnit XML document. */
export function renderJunit(journals: Journal[]): string {
  const suites = journals.map(junitSuite);
  const total = suites.reduce<Counts>((sum, suite) => addCounts(sum, countCases(suite.cases)), { tests: 0, failures: 0, errors: 0 });
  const timeSeconds = suites.reduce((sum, suite) => sum + suite.timeSeconds, 0);
  const earliest = journals.map((j) => toIsoTimestamp(j.startedAt)).sort()[0];
  const attrs = renderAttrs({
    name: 'chaosctl',
    ...countAttrs(total),
    time: seconds(timeSeconds),
    ...(earliest === undefined ? {} : { timestamp: earliest }),
  });
  const body = suites.map(renderSuite).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attrs}>\n${body}</testsuites>\n`;
}

/** The test cases and metadata of one journal; pure, exported for tests. */
export function junitSuite(journal: Journal): JunitSuite {
  const classname = `chaosctl.${journal.scenario.id}`;
  const cases: JunitCase[] = [
    ...journal.steadyState.before.map((check) => steadyCase(classname, 'before', check)),
    ...journal.expectations.map((result) => expectationCase(classname, result)),
    ...journal.steadyState.after.map((check) => steadyCase(classname, 'after', check)),
    ...journal.faults.filter(hasFaultError).map((fault) => faultCase(classname, fault)),
  ];
  const runCase = runStatusCase(classname, journal, cases);
  if (runCase) cases.push(runCase);
  return {
    name: `${journal.scenario.id}: ${journal.scenario.title}`,
    timestamp: toIsoTimestamp(journal.startedAt),
    timeSeconds: journal.durationMs / 1000,
    properties: suiteProperties(journal),
    cases,
    systemOut: journal.events.map((e) => `${formatClock(e.tMs)} [${e.level}] ${e.message}`).join('\n'),
  };
}

function expectationCase(classname: string, result: ExpectationResult): JunitCase {
  const testCase: JunitCase = { classname, name: `${result.clause} ${result.id}: ${result.assertion}`, timeSeconds: 0 };
  if (result.passed) return testCase;
  const body = [
    `expected: ${result.assertion}`,
    `observed: ${result.observed}`,
    `seed text (${result.clause}): ${result.text}`,
    `evidence: ${safeJson(result.evidence)}`,
  ].join('\n');
  return { ...testCase, problem: { kind: 'failure', type: 'expectation', message: `observed ${result.observed}`, body } };
}

function steadyCase(classname: string, phase: 'before' | 'after', check: SteadyCheckResult): JunitCase {
  const testCase: JunitCase = { classname, name: `steady-state ${phase}: ${check.description}`, timeSeconds: 0 };
  if (check.passed) return testCase;
  const last = check.last ? describeSample(check.last) : 'no sample was taken';
  const message = `steady state did not hold after ${check.attempts} attempt(s); last sample: ${last}`;
  const body = [`probe: ${check.probe}`, `check: ${check.description}`, `attempts: ${check.attempts}`, `last sample: ${last}`].join('\n');
  return { ...testCase, problem: { kind: 'failure', type: 'steady-state', message, body } };
}

function hasFaultError(fault: FaultRecord): boolean {
  return fault.injectError !== undefined || fault.revertError !== undefined;
}

function faultCase(classname: string, fault: FaultRecord): JunitCase {
  const lines = [
    fault.injectError === undefined ? '' : `inject failed: ${fault.injectError}`,
    fault.revertError === undefined ? '' : `revert failed: ${fault.revertError}`,
  ].filter((line) => line !== '');
  return {
    classname,
    name: `fault ${fault.step}: ${fault.description}`,
    timeSeconds: 0,
    problem: { kind: 'error', type: 'fault', message: lines.join('; '), body: lines.join('\n') },
  };
}

/**
 * A case for the run itself when the other cases cannot tell its outcome: an error or
 * interruption, or a failed verdict that no expectation or steady-state check shows.
 */
function runStatusCase(classname: string, journal: Journal, cases: JunitCase[]): JunitCase | undefined {
  const { status, reason } = journal;
  if (status === 'error' || status === 'interrupted') {
    const message = reason ?? `the run ended with status ${status}`;
    const errorEvents = journal.events.filter((e) => e.level === 'error').map((e) => `${formatClock(e.tMs)} ${e.message}`);
    const body = [message, ...errorEvents].join('\n');
    return { classname, name: `run ${status}`, timeSeconds: journal.durationMs / 1000, problem: { kind: 'error', type: status, message, body } };
  }
  if (status === 'failed' && !cases.some((c) => c.problem?.kind === 'failure')) {
    const message = reason ?? 'the run failed without a failed expectation';
    return { classname, name: 'run verdict', timeSeconds: 0, problem: { kind: 'failure', type: 'verdict', message, body: message } };
  }
  return undefined;
}

function suiteProperties(journal: Journal): Array<[string, string]> {
  const env = journal.environment;
  const properties: Array<[string, string]> = [
    ['runId', journal.runId],
    ['status', journal.status],
    ['kind', journal.scenario.kind],
    ['covers', journal.scenario.covers.join(', ')],
    ['scenarioFile', journal.scenario.file],
    ['chaosctl', env.chaosctl],
    ['node', env.node],
    ['platform', env.platform],
    ['stackMode', env.stackMode],
    ['sabotage', env.sabotage.join(', ')],
  ];
  if (journal.reason !== undefined) properties.push(['reason', journal.reason]);
  for (const [key, value] of Object.entries(env.targetOverrides)) properties.push([`target.env.${key}`, value]);
  for (const [key, value] of Object.entries(env.services)) properties.push([`service.${key}`, value]);
  return properties;
}

function countCases(cases: JunitCase[]): Counts {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.problem?.kind === 'failure').length,
    errors: cases.filter((c) => c.problem?.kind === 'error').length,
  };
}

function addCounts(a: Counts, b: Counts): Counts {
  return { tests: a.tests + b.tests, failures: a.failures + b.failures, errors: a.errors + b.errors };
}

function countAttrs(counts: Counts): Record<string, string> {
  return { tests: String(counts.tests), failures: String(counts.failures), errors: String(counts.errors), skipped: '0' };
}

function renderSuite(suite: JunitSuite): string {
  const attrs = renderAttrs({
    name: suite.name,
    ...countAttrs(countCases(suite.cases)),
    time: seconds(suite.timeSeconds),
    timestamp: suite.timestamp,
  });
  const properties = suite.properties.map(([name, value]) => `      <property${renderAttrs({ name, value })}/>\n`).join('');
  const cases = suite.cases.map(renderCase).join('');
  const systemOut = suite.systemOut === '' ? '' : `    <system-out>${escapeMarkup(suite.systemOut)}</system-out>\n`;
  return `  <testsuite${attrs}>\n    <properties>\n${properties}    </properties>\n${cases}${systemOut}  </testsuite>\n`;
}

function renderCase(testCase: JunitCase): string {
  const attrs = renderAttrs({ classname: testCase.classname, name: testCase.name, time: seconds(testCase.timeSeconds) });
  if (!testCase.problem) return `    <testcase${attrs}/>\n`;
  const { kind, message, type, body } = testCase.problem;
  const problem = `<${kind}${renderAttrs({ message, type })}>${escapeMarkup(body)}</${kind}>`;
  return `    <testcase${attrs}>\n      ${problem}\n    </testcase>\n`;
}

function renderAttrs(attrs: Record<string, string>): string {
  return Object.entries(attrs)
    .map(([key, value]) => ` ${key}="${escapeXmlAttr(value)}"`)
    .join('');
}

function seconds(value: number): string {
  return Number.isFinite(value) ? Math.max(0, value).toFixed(3) : '0.000';
}

/** ISO 8601 in UTC when the input parses as a date; otherwise the input unchanged. */
export function toIsoTimestamp(value: string): string {
  const time = Date.parse(value);
  return Number.isNaN(time) ? value : new Date(time).toISOString();
}

function formatClock(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${(Math.abs(ms) / 1000).toFixed(3)}s`;
}

function describeSample(sample: NonNullable<SteadyCheckResult['last']>): string {
  const status = sample.status === null ? 'no status' : `status ${sample.status}`;
  const error = sample.error === undefined ? '' : `, ${sample.error}`;
  return `${status} in ${sample.latencyMs.toFixed(1)} ms${error}`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return String(value);
  }
}
