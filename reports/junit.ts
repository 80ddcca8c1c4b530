/**
 * JUnit XML reporter: one <testsuite> per scenario run, one <testcase> per expectation
 * and per steady-state check, so CI systems show seed clauses as tests. Case names are
 * the scenario id plus the expectation id (never the assertion text), so tightening a
 * threshold keeps the test's history in CI; each case's time is what it measured.
 */
import type { ExpectationResult, FaultRecord, Journal, SteadyCheckResult } from '../cli/core/journal.ts';
import { escapeMarkup, escapeXmlAttr } from './escape.ts';

/** A problem attached to a test case: an assertion that did not hold, or something that broke. */
export interface Problem {
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
  /** What the case checked, in words: kept out of the name so the name stays stable. */
  systemOut?: string;
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
  return renderSuites(uniqueSuiteNames(journals.map(junitSuite)));
}

/** A whole JUnit document from suites already built (also used by the prove report). */
export function renderSuites(suites: JunitSuite[]): string {
  const total = suites.reduce<Counts>((sum, suite) => addCounts(sum, countCases(suite.cases)), { tests: 0, failures: 0, errors: 0 });
  const timeSeconds = suites.reduce((sum, suite) => sum + suite.timeSeconds, 0);
  const earliest = suites.map((suite) => suite.timestamp).sort()[0];
  const attrs = renderAttrs({
    name: 'chaosctl',
    ...countAttrs(total),
    time: seconds(timeSeconds),
    ...(earliest === undefined ? {} : { timestamp: earliest }),
  });
  const body = suites.map(renderSuite).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${attrs}>\n${body}</testsuites>\n`;
}

/**
 * Suite names made unique within one document: a sabotaged run says so, and a scenario
 * run twice otherwise gets "#2", "#3"… (CI tools merge suites that share a name).
 */
export function uniqueSuiteNames(suites: JunitSuite[]): JunitSuite[] {
  const seen = new Map<string, number>();
  return suites.map((suite) => {
    const count = (seen.get(suite.name) ?? 0) + 1;
    seen.set(suite.name, count);
    return count === 1 ? suite : { ...suite, name: `${suite.name} #${count}` };
  });
}

/** The test cases and metadata of one journal; pure, exported for tests. */
export function junitSuite(journal: Journal): JunitSuite {
  const id = journal.scenario.id;
  const classname = `chaosctl.${id}`;
  const cases: JunitCase[] = [
    ...stableNames(journal.steadyState.before.map((check) => steadyCase(classname, id, 'before', check))),
    ...journal.expectations.map((result) => expectationCase(classname, id, result, journal)),
    ...stableNames(journal.steadyState.after.map((check) => steadyCase(classname, id, 'after', check))),
    ...journal.faults.filter(hasFaultError).map((fault) => faultCase(classname, id, fault)),
  ];
  const runCase = runStatusCase(classname, journal, cases);
  if (runCase) cases.push(runCase);
  const sabotage = journal.environment.sabotage;
  return {
    name: `${id}: ${journal.scenario.title}${sabotage.length === 0 ? '' : ` [sabotage: ${sabotage.join(', ')}]`}`,
    timestamp: toIsoTimestamp(journal.startedAt),
    timeSeconds: journal.durationMs / 1000,
    properties: suiteProperties(journal),
    cases,
    systemOut: journal.events.map((e) => `${formatClock(e.tMs)} [${e.level}] ${e.message}`).join('\n'),
  };
}

/** Two checks on the same probe get "#2"… so names stay unique and stable. */
function stableNames(cases: JunitCase[]): JunitCase[] {
  const seen = new Map<string, number>();
  return cases.map((c) => {
    const count = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, count);
    return count === 1 ? c : { ...c, name: `${c.name} #${count}` };
  });
}

/**
 * How long what an expectation judged took, in ms: the load it measured, the probe
 * window it sampled, the action it timed, or the final sample it read.
 */
export function expectationDurationMs(result: ExpectationResult, journal: Pick<Journal, 'loads'>): number {
  const ev = result.evidence;
  const load = result.subject?.load === undefined ? undefined : journal.loads.find((l) => l.step === result.subject?.load);
  if (load) return load.endedMs - load.startedMs;
  if (typeof ev.windowStartMs === 'number' && typeof ev.windowEndMs === 'number') return ev.windowEndMs - ev.windowStartMs;
  if (typeof ev.durationMs === 'number') return ev.durationMs;
  const sample = ev.sample;
  if (typeof sample === 'object' && sample !== null && 'latencyMs' in sample && typeof sample.latencyMs === 'number') return sample.latencyMs;
  return 0;
}

function expectationCase(classname: string, scenarioId: string, result: ExpectationResult, journal: Journal): JunitCase {
  const testCase: JunitCase = {
    classname,
    name: `${scenarioId} ${result.id}`,
    timeSeconds: expectationDurationMs(result, journal) / 1000,
    systemOut: `${result.clause}: ${result.assertion}\nobserved: ${result.observed}`,
  };
  if (result.passed) return testCase;
  const body = [
    `expected: ${result.assertion}`,
    `observed: ${result.observed}`,
    `seed text (${result.clause}): ${result.text}`,
    `evidence: ${safeJson(result.evidence)}`,
  ].join('\n');
  return { ...testCase, problem: { kind: 'failure', type: 'expectation', message: `observed ${result.observed}`, body } };
}

function steadyCase(classname: string, scenarioId: string, phase: 'before' | 'after', check: SteadyCheckResult): JunitCase {
  const testCase: JunitCase = {
    classname,
    name: `${scenarioId} steady-state-${phase} ${check.probe}`,
    // The time of the sample that decided the check: the attempts before it are not timed in the journal.
    timeSeconds: (check.last?.latencyMs ?? 0) / 1000,
    systemOut: `${check.description} (${check.attempts} attempt(s))`,
  };
  if (check.passed) return testCase;
  const last = check.last ? describeSample(check.last) : 'no sample was taken';
  const message = `steady state did not hold after ${check.attempts} attempt(s); last sample: ${last}`;
  const body = [`probe: ${check.probe}`, `check: ${check.description}`, `attempts: ${check.attempts}`, `last sample: ${last}`].join('\n');
  return { ...testCase, problem: { kind: 'failure', type: 'steady-state', message, body } };
}

function hasFaultError(fault: FaultRecord): boolean {
  return fault.injectError !== undefined || fault.revertError !== undefined;
}

function faultCase(classname: string, scenarioId: string, fault: FaultRecord): JunitCase {
  const lines = [
    fault.injectError === undefined ? '' : `inject failed: ${fault.injectError}`,
    fault.revertError === undefined ? '' : `revert failed: ${fault.revertError}`,
  ].filter((line) => line !== '');
  return {
    classname,
    name: `${scenarioId} fault ${fault.step}`,
    timeSeconds: fault.injectedMs === null ? 0 : ((fault.revertedMs ?? fault.injectedMs) - fault.injectedMs) / 1000,
    systemOut: fault.description,
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
  if (status === 'aborted') {
    const message = reason ?? 'aborted by a stop condition';
    const body = [message, journal.abort?.evidence ?? ''].filter(Boolean).join('\n');
    return { classname, name: 'run aborted', timeSeconds: journal.durationMs / 1000, problem: { kind: 'failure', type: 'aborted', message, body } };
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
  const out = testCase.systemOut === undefined ? '' : `\n      <system-out>${escapeMarkup(testCase.systemOut)}</system-out>`;
  if (!testCase.problem) return out === '' ? `    <testcase${attrs}/>\n` : `    <testcase${attrs}>${out}\n    </testcase>\n`;
  const { kind, message, type, body } = testCase.problem;
  const problem = `<${kind}${renderAttrs({ message, type })}>${escapeMarkup(body)}</${kind}>`;
  return `    <testcase${attrs}>\n      ${problem}${out}\n    </testcase>\n`;
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
