/** Issue 11's input holes: bounded durations, a clock safe for long waits, and hostile scenario files rejected quickly and located. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startClock, MAX_TIMER_MS } from '../../cli/core/clock.ts';
import { MAX_DURATION_MS, toMs } from '../../cli/core/duration.ts';
import { ChaosError } from '../../cli/core/errors.ts';
import { loadScenarioFile, MAX_PROBLEMS, MAX_SCENARIO_BYTES, MAX_SCENARIO_DEPTH, validateScenarioText, type Problem } from '../../cli/engine/scenario-loader.ts';
import { DEFAULT_SCENARIO_DIR } from '../../cli/paths.ts';

const L11 = readFileSync(path.join(DEFAULT_SCENARIO_DIR, 'L11.yaml'), 'utf8');

function replaced(text: string, pattern: RegExp, to: string): string {
  assert.match(text, pattern, `test setup: ${String(pattern)} is not in the text`);
  return text.replace(pattern, to);
}

function problemsOf(text: string): Problem[] {
  return validateScenarioText(text, 'case.yaml').problems;
}

test('a duration past 24h is refused with the bound in the message, at its line', () => {
  for (const huge of ['99999999999999999999h', '25h', '86400001ms']) {
    const text = replaced(L11, /for: \S+/, `for: ${huge}`);
    const problems = problemsOf(text);
    assert.equal(problems.length, 1, huge);
    assert.match(problems[0]?.message ?? '', /must be at most 24h/);
    assert.match(problems[0]?.path ?? '', /^timeline\.steps\[\d+\]\.for$/);
    assert.equal(problems[0]?.line, text.split('\n').findIndex((l) => l.includes(`for: ${huge}`)) + 1);
  }
  assert.deepEqual(problemsOf(replaced(L11, /for: \S+/, 'for: 24h')).filter((p) => /at most/.test(p.message)), []);
  assert.equal(toMs('24h'), MAX_DURATION_MS);
});

test('a probe interval below 50ms is refused; 50ms is accepted', () => {
  for (const every of ['0s', '0ms', '49ms', '0.01s']) {
    const problems = problemsOf(replaced(L11, /every: \S+/, `every: ${every}`));
    assert.equal(problems.length, 1, every);
    assert.match(problems[0]?.message ?? '', /must be at least 50ms/);
    assert.match(problems[0]?.path ?? '', /^probes\[\d+\]\.every$/);
  }
  assert.deepEqual(problemsOf(replaced(L11, /every: \S+/, 'every: 50ms')), []);
});

test('toMs throws a catalogue error, not a plain one, on a malformed duration', () => {
  assert.throws(() => toMs('5 parsecs'), (error: unknown) => error instanceof ChaosError && error.code === 'CHAOSCTL_E_USAGE');
});

test('the clock waits longer than 2^31 ms instead of firing at once, and an abort ends the wait', async () => {
  const clock = startClock();
  const controller = new AbortController();
  let settled = false;
  const wait = clock.sleep(MAX_TIMER_MS + 60_000, controller.signal).then(() => (settled = true));
  // Node fires an overflowing timer after 1 ms; a chunked wait is still pending long after that.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(settled, false);
  controller.abort();
  await wait;
  assert.equal(settled, true);
});

test('the clock still wakes on time for an ordinary wait, and at once for NaN or a past time', async () => {
  const clock = startClock();
  const t0 = clock.now();
  await clock.sleep(30);
  assert.ok(clock.now() - t0 >= 29, `woke after ${clock.now() - t0} ms`);
  const before = clock.now();
  await clock.sleep(Number.NaN);
  await clock.until(-5);
  assert.ok(clock.now() - before < 20);
});

test('.nan and .inf are named in the message', () => {
  for (const [literal, named] of [
    ['.nan', /\.nan/],
    ['.inf', /\.inf/],
    ['-.inf', /-\.inf/],
  ] as const) {
    const problems = problemsOf(replaced(L11, /rate: \d+/, `rate: ${literal}`));
    assert.equal(problems.length, 1, literal);
    assert.match(problems[0]?.message ?? '', named);
    assert.doesNotMatch(problems[0]?.message ?? '', /got null/);
    assert.match(problems[0]?.hint ?? '', /finite number/);
  }
});

test('.nan where text goes is named too, with a hint to quote it', () => {
  const problems = problemsOf(replaced(L11, /^title: .*$/m, 'title: .nan'));
  assert.equal(problems.length, 1);
  assert.match(problems[0]?.message ?? '', /^expected a string, got \.nan \(not a number\)$/);
  assert.equal(problems[0]?.hint, 'quote it if you mean the text: ".nan"');
});

test('deeply nested documents get a real message with a place, not a stack overflow', () => {
  const flow = `id: ${'['.repeat(5000)}${']'.repeat(5000)}`;
  const block = `${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1`;
  const moderate = `id: ${'['.repeat(MAX_SCENARIO_DEPTH + 5)}${']'.repeat(MAX_SCENARIO_DEPTH + 5)}`;
  for (const [name, text] of Object.entries({ flow, block, moderate })) {
    const problems = problemsOf(text);
    assert.equal(problems.length, 1, name);
    assert.match(problems[0]?.message ?? '', /nested more than 64 levels/, name);
    assert.doesNotMatch(problems[0]?.message ?? '', /call stack/, name);
    assert.ok((problems[0]?.line ?? 0) >= 1 && (problems[0]?.column ?? 0) >= 1, name);
  }
});

test('a file over the size cap is refused before it is parsed, quickly', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaosctl-bounds-'));
  try {
    const file = path.join(dir, 'huge.yaml');
    // 20 MB of keys: it took 26 s and 2.3 GB to reject before the cap.
    writeFileSync(file, `${L11}\n${'k: v\n'.repeat(4 * 1024 * 1024)}`);
    const started = Date.now();
    await assert.rejects(loadScenarioFile(file), (error: unknown) => {
      assert.ok(error instanceof ChaosError);
      assert.equal(error.code, 'CHAOSCTL_E_SCENARIO_INVALID');
      assert.equal(error.details.length, 1);
      assert.match(error.details[0] ?? '', /huge\.yaml:1:1 {2}the file is 20\.\d MB; a scenario file may be at most 256 KB/);
      return true;
    });
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.match(problemsOf('x'.repeat(MAX_SCENARIO_BYTES + 1))[0]?.message ?? '', /at most 256 KB/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('thousands of mistakes: at most 50 listed, a last line counts the rest, and it stays fast', () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: v`).join('\n');
  const started = Date.now();
  const problems = problemsOf(`${L11}\n${keys}\n`);
  const took = Date.now() - started;
  assert.equal(problems.length, MAX_PROBLEMS + 1);
  assert.match(problems.at(-1)?.message ?? '', /^and 19950 more problem\(s\) not listed$/);
  // 107 s before (every key compared with every other); a few hundred ms now, bounded loosely for a busy machine.
  assert.ok(took < 5000, `took ${took} ms`);
  const dupes = `${L11}\n${Array.from({ length: 15_000 }, () => 'title: again').join('\n')}\n`;
  const dupeProblems = problemsOf(dupes);
  assert.equal(dupeProblems.length, MAX_PROBLEMS + 1);
  assert.match(dupeProblems[0]?.message ?? '', /map keys must be unique/);
});

test('a hint lists at most five names, saying how many there are', () => {
  const probes = Array.from({ length: 300 }, (_, i) => `  - { name: probe-${i}, kind: http, path: /health }`).join('\n');
  const text = replaced(L11, /^probes:\n/m, `probes:\n${probes}\n`).replace(/probe: health\b/, 'probe: zzzzzzzzzzzzzzzzzzzzzzzz');
  const hinted = problemsOf(text).find((p) => /no probe named "zzzz/.test(p.message));
  assert.ok(hinted, 'the unknown probe is reported');
  assert.match(hinted.hint ?? '', /^probes: [^,]+(, [^,]+){4}, … \(30\d in all\)$/);
});
