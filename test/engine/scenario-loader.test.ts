import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChaosError } from '../../cli/core/errors.ts';
import {
  expectationId,
  formatPath,
  formatProblem,
  listScenarioFiles,
  loadScenarioFile,
  resolveScenarioRef,
  scenarioDir,
  validateScenarioText,
  type Problem,
} from '../../cli/engine/scenario-loader.ts';
import { DEFAULT_SCENARIO_DIR } from '../../cli/paths.ts';

/** A valid scenario touching every cross-reference: two steps, a probe, a steady-state check and three expectations. */
const VALID = `id: T1
title: Database slowdown under load
kind: chaos
covers: [L11, C1]
probes:
  - name: health
    kind: http
    path: /health
steadyState:
  - probe: health
    condition: { status: 200 }
timeline:
  duration: 60s
  steps:
    - name: traffic
      for: 30s
      load: { driver: http, path: /health, rate: 20 }
    - name: db-slow
      at: 10s
      for: 10s
      fault: { driver: toxiproxy, proxy: postgres, toxic: latency, latency: 500ms }
expect:
  - kind: latency
    clause: L11
    text: p95 stays low
    load: traffic
    below: 800ms
  - kind: errors
    clause: L11
    text: no errors
    load: traffic
  - kind: probe
    clause: C1
    text: health recovers
    probe: health
    window: { after: db-slow, within: 10s }
    mode: eventually
    condition: { status: 200 }
`;

/** VALID with one exact piece of text replaced; fails loudly when the piece is not there. */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `test setup: ${JSON.stringify(from)} is not in the text`);
  return text.replace(from, to);
}

/** The 1-based line of the first line containing the needle. */
function lineOf(text: string, needle: string, occurrence = 1): number {
  const lines = text.split('\n');
  let seen = 0;
  const index = lines.findIndex((line) => line.includes(needle) && ++seen === occurrence);
  assert.ok(index >= 0, `test setup: ${JSON.stringify(needle)} is not in the text`);
  return index + 1;
}

function problemsOf(text: string): Problem[] {
  return validateScenarioText(text, 'case.yaml').problems;
}

test('a valid scenario has no problems and gets its defaults', () => {
  const { scenario, problems } = validateScenarioText(VALID, 'valid.yaml');
  assert.deepEqual(problems, []);
  assert.ok(scenario);
  assert.deepEqual(scenario.target, { env: {} });
  const [traffic, dbSlow] = scenario.timeline.steps;
  assert.equal(traffic?.at, '0s');
  assert.deepEqual(traffic?.load, { driver: 'http', path: '/health', rate: 20, method: 'GET', connections: 10, timeout: '10s' });
  assert.deepEqual(dbSlow?.fault, { driver: 'toxiproxy', proxy: 'postgres', toxic: 'latency', latency: '500ms', stream: 'downstream', toxicity: 1 });
  assert.deepEqual(scenario.probes[0], { name: 'health', kind: 'http', path: '/health', every: '250ms', timeout: '2s' });
  assert.equal(scenario.steadyState[0]?.within, '15s');
  const [latency, errors, probe] = scenario.expect;
  assert.equal(latency?.kind === 'latency' && latency.percentile, 95);
  assert.equal(errors?.kind === 'errors' && errors.max, 0);
  assert.ok(probe?.kind === 'probe');
  assert.equal(probe.minSamples, 3);
  assert.deepEqual(probe.window, { after: 'db-slow', within: '10s' });
});

test('three mistakes give exactly three problems, each at its line and YAML path', () => {
  let text = edit(VALID, '  duration: 60s\n', '  duraton: 60s\n');
  text = edit(text, '      at: 10s\n', '      at: 10 seconds\n');
  text = edit(text, 'window: { after: db-slow,', 'window: { after: db-slw,');
  const problems = problemsOf(text);
  assert.deepEqual(
    problems.map((p) => [p.line, p.path]),
    [
      [lineOf(text, 'duraton:'), 'timeline.duraton'],
      [lineOf(text, 'at: 10 seconds'), 'timeline.steps[1].at'],
      [lineOf(text, 'after: db-slw'), 'expect[2].window.after'],
    ],
  );
  assert.match(problems[0]?.message ?? '', /unknown key "duraton"/);
  assert.equal(problems[0]?.hint, 'did you mean "duration"?');
  assert.match(problems[1]?.message ?? '', /duration/);
  assert.match(problems[2]?.message ?? '', /no step named "db-slw"/);
  assert.equal(problems[2]?.hint, 'did you mean "db-slow"?');
});

test('an unknown key points at the key itself, with line and column', () => {
  const text = edit(VALID, '      for: 30s\n', '      fro: 30s\n');
  const problems = problemsOf(text);
  // The misspelt "for" is one mistake: no second problem about the load step lacking "for".
  assert.equal(problems.length, 1);
  const [p] = problems;
  assert.deepEqual({ line: p?.line, column: p?.column, path: p?.path }, { line: lineOf(text, 'fro: 30s'), column: 7, path: 'timeline.steps[0].fro' });
  assert.equal(p?.message, 'unknown key "fro"');
  assert.equal(p?.hint, 'did you mean "for"?');
});

test('an unknown key with no close match lists the allowed keys', () => {
  const problems = problemsOf(edit(VALID, 'kind: chaos\n', 'kind: chaos\nzzzzzz: 1\n'));
  assert.equal(problems.length, 1);
  assert.match(problems[0]?.hint ?? '', /^allowed keys: .*title/);
});

test('YAML syntax errors are reported with their line, and alone', () => {
  const text = edit(VALID, 'covers: [L11, C1]\n', 'covers: [L11, C1\n');
  const problems = problemsOf(text);
  assert.ok(problems.length >= 1);
  assert.equal(problems[0]?.line, lineOf(text, 'probes:'));
  assert.equal(problems[0]?.path, '');
  assert.equal(validateScenarioText(text, 'x.yaml').scenario, null);
});

test('duplicate keys and unresolved aliases are YAML problems', () => {
  const duplicate = edit(VALID, 'kind: chaos\n', 'kind: chaos\nkind: load\n');
  assert.deepEqual(problemsOf(duplicate).map((p) => p.line), [lineOf(duplicate, 'kind: load')]);
  const alias = edit(VALID, 'text: no errors', 'text: *missing');
  assert.deepEqual(problemsOf(alias).map((p) => p.line), [lineOf(alias, '*missing')]);
});

interface Case {
  name: string;
  /** Replacements applied to VALID, in order: [from, to]. */
  edits: [string, string][];
  /** Expected problems: YAML path, a text on the reported line (its nth occurrence), a pattern for the message. */
  want: { path: string; line: string; nth?: number; message: RegExp; hint?: RegExp }[];
}

const CASES: Case[] = [
  {
    name: 'duplicate step names',
    edits: [['    - name: db-slow\n', '    - name: traffic\n']],
    want: [
      { path: 'timeline.steps[1].name', line: '- name: traffic', nth: 2, message: /step name "traffic" is already used by timeline\.steps\[0\]/ },
      // The window now refers to a name no step has.
      { path: 'expect[2].window.after', line: 'after: db-slow', message: /no step named "db-slow"/ },
    ],
  },
  {
    name: 'duplicate probe names',
    edits: [['    path: /health\nsteadyState:', '    path: /health\n  - name: health\n    kind: http\n    path: /ready\nsteadyState:']],
    want: [{ path: 'probes[1].name', line: '  - name: health', nth: 2, message: /probe name "health" is already used by probes\[0\]/ }],
  },
  {
    name: 'duplicate explicit expectation ids',
    edits: [
      ['  - kind: errors\n', '  - kind: errors\n    id: same\n'],
      ['  - kind: probe\n', '  - kind: probe\n    id: same\n'],
    ],
    want: [{ path: 'expect[2].id', line: 'id: same', nth: 2, message: /expectation id "same" is already used by expect\[1\]/ }],
  },
  {
    name: 'an explicit id equal to a derived one',
    edits: [['  - kind: errors\n', '  - kind: errors\n    id: probe-3\n']],
    want: [{ path: 'expect[2]', line: '- kind: probe', message: /expectation id "probe-3" \(derived from kind and position\) is already used by expect\[1\]/ }],
  },
  {
    name: 'a load step without "for"',
    edits: [['      for: 30s\n', '']],
    want: [{ path: 'timeline.steps[0].for', line: '- name: traffic', message: /a load step needs "for"/ }],
  },
  {
    name: 'window.during naming a load step',
    edits: [['window: { after: db-slow, within: 10s }', 'window: { during: traffic }']],
    want: [{ path: 'expect[2].window.during', line: 'during: traffic', message: /"traffic" is a load step; this needs a fault step/, hint: /fault steps: db-slow/ }],
  },
  {
    name: 'window.after naming no step',
    edits: [['after: db-slow,', 'after: nothing-here,']],
    want: [{ path: 'expect[2].window.after', line: 'after: nothing-here', message: /no step named "nothing-here"/ }],
  },
  {
    name: 'a latency expectation naming a fault step',
    edits: [['    load: traffic\n    below: 800ms', '    load: db-slow\n    below: 800ms']],
    want: [{ path: 'expect[0].load', line: 'load: db-slow', message: /"db-slow" is a fault step; this needs a load step/ }],
  },
  {
    name: 'an errors expectation naming no step',
    edits: [['    text: no errors\n    load: traffic', '    text: no errors\n    load: trafic']],
    want: [{ path: 'expect[1].load', line: 'load: trafic', message: /no step named "trafic"/, hint: /did you mean "traffic"\?/ }],
  },
  {
    name: 'a probe expectation naming no probe',
    edits: [['    probe: health\n    window', '    probe: healthz\n    window']],
    want: [{ path: 'expect[2].probe', line: 'probe: healthz', message: /no probe named "healthz"/, hint: /did you mean "health"\?/ }],
  },
  {
    name: 'a steady-state check naming no probe',
    edits: [['  - probe: health\n    condition', '  - probe: ready\n    condition']],
    want: [{ path: 'steadyState[0].probe', line: 'probe: ready', message: /no probe named "ready"/, hint: /probes: health/ }],
  },
  {
    name: 'a step ending after timeline.duration',
    edits: [['  duration: 60s', '  duration: 25s']],
    want: [{ path: 'timeline.steps[0].for', line: 'for: 30s', message: /step "traffic" ends at 30\.0 s, after timeline\.duration \(25\.0 s\)/ }],
  },
  {
    name: 'a bad enum value with a suggestion',
    edits: [['toxic: latency,', 'toxic: latncy,']],
    want: [{ path: 'timeline.steps[1].fault.toxic', line: 'toxic: latncy', message: /"latncy" is not one of: latency, timeout, reset_peer, down/, hint: /did you mean "latency"\?/ }],
  },
  {
    name: 'an unknown driver',
    edits: [['{ driver: toxiproxy,', '{ driver: toxiproxi,']],
    want: [{ path: 'timeline.steps[1].fault.driver', line: 'driver: toxiproxi', message: /"toxiproxi" is not one of: toxiproxy, service/, hint: /did you mean "toxiproxy"\?/ }],
  },
  {
    name: 'a missing required key',
    edits: [['    clause: C1\n', '']],
    want: [{ path: 'expect[2].clause', line: '- kind: probe', message: /missing required key "clause"/ }],
  },
  {
    name: 'catches naming a sabotage switch the target does not have',
    edits: [['covers: [L11, C1]\n', 'covers: [L11, C1]\ncatches: [health-db-chek]\n']],
    want: [{ path: 'catches[0]', line: 'catches: [health-db-chek]', message: /no sabotage switch "health-db-chek"/, hint: /did you mean "health-db-check"\?/ }],
  },
  {
    name: 'a number where a duration goes',
    edits: [['below: 800ms', 'below: 800']],
    want: [{ path: 'expect[0].below', line: 'below: 800', message: /expected a string, got 800/, hint: /800ms/ }],
  },
];

for (const c of CASES) {
  test(`cross-references and schema: ${c.name}`, () => {
    const text = c.edits.reduce((t, [from, to]) => edit(t, from, to), VALID);
    const problems = problemsOf(text);
    assert.deepEqual(
      problems.map((p) => [p.path, p.line]),
      c.want.map((w) => [w.path, lineOf(text, w.line, w.nth)]),
      problems.map(formatProblem).join('\n'),
    );
    c.want.forEach((w, i) => {
      assert.match(problems[i]?.message ?? '', w.message);
      if (w.hint) assert.match(problems[i]?.hint ?? '', w.hint);
    });
  });
}

test('problems come sorted by line', () => {
  let text = edit(VALID, 'below: 800ms', 'below: soon');
  text = edit(text, 'id: T1', 'id: t1');
  text = edit(text, 'rate: 20', 'rate: -1');
  const lines = problemsOf(text).map((p) => p.line);
  assert.equal(lines.length, 3);
  assert.deepEqual(lines, [...lines].sort((a, b) => a - b));
});

test('an empty file and a list are reported at line 1', () => {
  for (const text of ['', '- a\n- b\n']) {
    const problems = problemsOf(text);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.line, 1);
  }
});

test('expectationId: explicit id, else kind and 1-based position', () => {
  assert.equal(expectationId({ kind: 'latency' }, 0), 'latency-1');
  assert.equal(expectationId({ kind: 'probe' }, 4), 'probe-5');
  assert.equal(expectationId({ kind: 'errors', id: 'no-errors' }, 2), 'no-errors');
});

test('formatProblem and formatPath', () => {
  const p: Problem = { file: 's.yaml', line: 3, column: 5, path: 'timeline.steps[0].fro', message: 'unknown key "fro"', hint: 'did you mean "for"?' };
  assert.equal(formatProblem(p), 's.yaml:3:5  timeline.steps[0].fro  unknown key "fro" (did you mean "for"?)');
  assert.equal(formatProblem({ file: 's.yaml', line: 1, column: 1, path: '', message: 'bad' }), 's.yaml:1:1  bad');
  assert.equal(formatPath(['timeline', 'steps', 1, 'fault', 'toxic']), 'timeline.steps[1].fault.toxic');
  assert.equal(formatPath(['target', 'env', 'A.B']), 'target.env["A.B"]');
});

function withTempDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chaosctl-loader-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'loadScenarioFile returns the scenario and its absolute path, or throws with every problem',
  withTempDir(async (dir) => {
    const good = path.join(dir, 'T1.yaml');
    writeFileSync(good, VALID);
    const loaded = await loadScenarioFile(path.relative(process.cwd(), good));
    assert.equal(loaded.file, good);
    assert.equal(loaded.scenario.id, 'T1');

    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, edit(edit(VALID, 'kind: chaos', 'kind: chaoss'), 'rate: 20', 'rate: 0'));
    await assert.rejects(loadScenarioFile(bad), (error: unknown) => {
      assert.ok(error instanceof ChaosError);
      assert.equal(error.code, 'CHAOSCTL_E_SCENARIO_INVALID');
      assert.equal(error.params.count, 2);
      assert.equal(error.details.length, 2);
      assert.match(error.details[0] ?? '', /bad\.yaml:3:7 {2}kind {2}"chaoss" is not one of: load, chaos \(did you mean "chaos"\?\)$/);
      return true;
    });

    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'id: T1\ntitle: [oops\n');
    await assert.rejects(loadScenarioFile(broken), (error: unknown) => {
      assert.ok(error instanceof ChaosError);
      assert.equal(error.code, 'CHAOSCTL_E_SCENARIO_PARSE');
      assert.ok(error.details.length >= 1);
      return true;
    });

    await assert.rejects(loadScenarioFile(path.join(dir, 'absent.yaml')), (error: unknown) => error instanceof ChaosError && error.code === 'CHAOSCTL_E_SCENARIO_NOT_FOUND');
  }),
);

test(
  'resolveScenarioRef: ids in any case, existing .yaml/.yml paths, otherwise not found',
  withTempDir((dir) => {
    writeFileSync(path.join(dir, 'L11.yaml'), VALID);
    writeFileSync(path.join(dir, 'other.yml'), VALID);
    assert.equal(resolveScenarioRef('L11', dir), path.join(dir, 'L11.yaml'));
    assert.equal(resolveScenarioRef('l11', dir), path.join(dir, 'L11.yaml'));
    assert.equal(resolveScenarioRef(path.join(dir, 'other.yml'), '/nowhere'), path.join(dir, 'other.yml'));
    for (const ref of ['L12', path.join(dir, 'missing.yaml'), 'no/such/thing']) {
      assert.throws(() => resolveScenarioRef(ref, dir), (error: unknown) => error instanceof ChaosError && error.code === 'CHAOSCTL_E_SCENARIO_NOT_FOUND', ref);
    }
  }),
);

test(
  'listScenarioFiles sorts naturally and skips schema.json and folders',
  withTempDir((dir) => {
    for (const name of ['L11.yaml', 'C10.yaml', 'L1.yaml', 'C2.yml', 'C1.yaml', 'schema.json', 'notes.md']) writeFileSync(path.join(dir, name), '');
    mkdirSync(path.join(dir, 'sub.yaml'));
    assert.deepEqual(
      listScenarioFiles(dir).map((f) => path.basename(f)),
      ['C1.yaml', 'C2.yml', 'C10.yaml', 'L1.yaml', 'L11.yaml'],
    );
    assert.throws(() => listScenarioFiles(path.join(dir, 'nope')), (error: unknown) => error instanceof ChaosError && error.code === 'CHAOSCTL_E_USAGE');
  }),
);

test('scenarioDir: option, else $CHAOSCTL_SCENARIOS, else the bundled folder', () => {
  const saved = process.env.CHAOSCTL_SCENARIOS;
  try {
    process.env.CHAOSCTL_SCENARIOS = '/from/env';
    assert.equal(scenarioDir('/from/option'), '/from/option');
    assert.equal(scenarioDir(), '/from/env');
    delete process.env.CHAOSCTL_SCENARIOS;
    assert.equal(scenarioDir(), DEFAULT_SCENARIO_DIR);
  } finally {
    if (saved === undefined) delete process.env.CHAOSCTL_SCENARIOS;
    else process.env.CHAOSCTL_SCENARIOS = saved;
  }
});

test('action steps: one kind per step, no "for", and action expectations must name an action step', () => {
  const withAction = edit(
    VALID,
    '    - name: db-slow\n',
    '    - name: run-reminders\n      at: 5s\n      action: { driver: target, action: run-job, job: habit_reminders, slot: "04:00" }\n    - name: db-slow\n',
  );
  assert.deepEqual(problemsOf(withAction), []);
  const good = edit(withAction, 'expect:\n', 'expect:\n  - { kind: action, clause: L5, text: job ran, step: run-reminders, durationBelow: 30s }\n');
  assert.deepEqual(problemsOf(good), []);
  const wrongStep = problemsOf(edit(withAction, 'expect:\n', 'expect:\n  - { kind: action, clause: L5, text: job ran, step: traffic }\n'));
  assert.equal(wrongStep.length, 1);
  assert.match(wrongStep[0]?.message ?? '', /"traffic" is a load step; this needs an action step/);
  const withFor = problemsOf(edit(withAction, '      at: 5s\n      action:', '      at: 5s\n      for: 3s\n      action:'));
  assert.equal(withFor.length, 1);
  assert.match(withFor[0]?.message ?? '', /action step has no "for"/);
});

test('fixtures: named SQL batches; names are unique per phase', () => {
  const withFixtures = `${VALID}fixtures:\n  setup:\n    - { name: rows, sql: "INSERT INTO t VALUES (1)" }\n    - { name: rows, sql: "SELECT 1" }\n  teardown:\n    - { name: rows, sql: "DELETE FROM t" }\n`;
  const problems = problemsOf(withFixtures);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0]?.path, 'fixtures.setup[1].name');
  assert.match(problems[0]?.message ?? '', /already used/);
  assert.equal(problemsOf(`${VALID}fixtures:\n  setup:\n    - { name: rows, sql: "" }\n`).length, 1, 'empty SQL is refused');
});
