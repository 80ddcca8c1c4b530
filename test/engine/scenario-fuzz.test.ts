/**
 * Fuzzing the scenario loader with mutations of the real catalogue: whatever the text, the
 * loader never crashes, every problem is located (file, line, column inside the text), and a
 * file that does not load is refused with a bad-input (exit 2) catalogue error.
 * The seed is printed; CHAOSCTL_FUZZ_SEED=<seed> replays a failing run exactly.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChaosError, exitCodeFor, EXIT } from '../../cli/core/errors.ts';
import { checkScenarioFile, listScenarioFiles, loadScenarioFile, validateScenarioText, type Problem } from '../../cli/engine/scenario-loader.ts';
import { DEFAULT_SCENARIO_DIR } from '../../cli/paths.ts';
import { seededRandom as rng } from '../../cli/core/seeded-random.ts';

const SEED = Number(process.env.CHAOSCTL_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Mutants checked in memory, and the share of them also written to a file and loaded. */
const MUTANTS = 250;
const LOADED_EVERY = 10;


const random = rng(SEED);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

/** Values a careless or hostile author might write where a scalar was. */
const HOSTILE_VALUES = [
  '.nan', '.inf', '-.inf', '-1', '0', '1e309', '99999999999999999999h', '0s', '0ms', '5', '""', "''", '~', 'null', '[]', '{}', '[[[]]]',
  'true', '*nowhere', '&anchor x', '!!binary aGVsbG8=', '!custom 1', '"unterminated', '{a: 1', 'a: b: c', '- x', '|', '>-', '@', '`',
  '__proto__', 'constructor', 'x'.repeat(500), '"\\u0000"', '2026-12-04', '0x10', '1_000', '.5s', '1.5.5s', '\t',
];
/** Characters that mean something to YAML, mixed with plain ones. */
const NOISE = [':', '-', ' ', '  ', '\n', '#', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', "'", '"', '%', '@', '?', '\t', 'a', '1', '\u00e9', '\ufeff'];

type Mutation = (text: string) => string;

const MUTATIONS: Record<string, Mutation> = {
  'replace a value': (text) => {
    const lines = text.split('\n');
    const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /:\s*\S/.test(l));
    if (candidates.length === 0) return text;
    const [line, index] = pick(candidates);
    lines[index] = line.replace(/:\s*\S.*$/, `: ${pick(HOSTILE_VALUES)}`);
    return lines.join('\n');
  },
  'rename a key': (text) => text.replace(/(^|\n)(\s*-?\s*)([a-zA-Z]+):/g, (m, a: string, b: string, key: string) => (random() < 0.08 ? `${a}${b}${key.slice(0, -1) || 'x'}${pick(['', 'x', 's'])}:` : m)),
  'delete a line': (text) => {
    const lines = text.split('\n');
    lines.splice(int(lines.length), 1);
    return lines.join('\n');
  },
  'duplicate a line': (text) => {
    const lines = text.split('\n');
    const i = int(lines.length);
    lines.splice(i, 0, lines[i] ?? '');
    return lines.join('\n');
  },
  'swap two lines': (text) => {
    const lines = text.split('\n');
    const i = int(lines.length);
    const j = int(lines.length);
    [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
    return lines.join('\n');
  },
  'shift indentation': (text) => {
    const lines = text.split('\n');
    const i = int(lines.length);
    lines[i] = random() < 0.5 ? ` ${lines[i] ?? ''}` : (lines[i] ?? '').replace(/^ {1,2}/, '');
    return lines.join('\n');
  },
  'insert noise': (text) => {
    const at = int(text.length + 1);
    const noise = Array.from({ length: 1 + int(6) }, () => pick(NOISE)).join('');
    return text.slice(0, at) + noise + text.slice(at);
  },
  'delete a span': (text) => {
    const at = int(text.length);
    return text.slice(0, at) + text.slice(at + 1 + int(40));
  },
  truncate: (text) => text.slice(0, int(text.length)),
  'nest deeply': (text) => text.replace(/\n/, `\nnested: ${'['.repeat(50 + int(200))}${']'.repeat(int(250))}\n`),
  'grow a list': (text) => text.replace(/\ncovers: \[/, `\ncovers: [${Array.from({ length: 200 + int(800) }, (_, i) => `X${i}`).join(', ')}, `),
};

const catalogue = listScenarioFiles(DEFAULT_SCENARIO_DIR).map((file) => ({ name: path.basename(file), text: readFileSync(file, 'utf8') }));
const dir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function mutate(text: string): { text: string; applied: string[] } {
  const names = Object.keys(MUTATIONS);
  const applied = Array.from({ length: 1 + int(3) }, () => pick(names));
  return { text: applied.reduce((t, name) => (MUTATIONS[name] as Mutation)(t), text), applied };
}

function assertLocated(problems: Problem[], text: string, file: string, label: string): void {
  const lines = text.split('\n').length;
  for (const p of problems) {
    assert.equal(p.file, file, label);
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines + 1, `${label}: line ${p.line} of ${lines}: ${p.message}`);
    assert.ok(Number.isInteger(p.column) && p.column >= 1, `${label}: column ${p.column}: ${p.message}`);
    assert.ok(typeof p.message === 'string' && p.message.length > 0 && !/call stack/i.test(p.message), `${label}: message ${JSON.stringify(p.message)}`);
  }
}

test(`fuzz: ${MUTANTS} mutants of the catalogue never crash the loader, and every problem is located (seed ${SEED})`, async (t) => {
  t.diagnostic(`seed ${SEED}; replay with CHAOSCTL_FUZZ_SEED=${SEED}`);
  const started = Date.now();
  let rejected = 0;
  for (let i = 0; i < MUTANTS; i++) {
    const source = pick(catalogue);
    const { text, applied } = mutate(source.text);
    const label = `seed ${SEED}, mutant ${i} of ${source.name} (${applied.join(' + ')})`;
    let result: ReturnType<typeof validateScenarioText>;
    try {
      result = validateScenarioText(text, 'mutant.yaml');
    } catch (error) {
      assert.fail(`${label}: the loader threw ${String(error)}`);
    }
    assertLocated(result.problems, text, 'mutant.yaml', label);
    assert.equal(result.scenario === null, result.problems.length > 0, `${label}: a scenario comes back exactly when there is no problem`);
    if (result.scenario === null) rejected++;

    if (i % LOADED_EVERY !== 0) continue;
    const file = path.join(dir, `mutant-${i}.yaml`);
    writeFileSync(file, text);
    const check = await checkScenarioFile(file);
    assertLocated(check.problems, text, path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file), label);
    try {
      await loadScenarioFile(file);
      assert.equal(result.scenario !== null, true, `${label}: loaded although validation found problems`);
    } catch (error) {
      assert.ok(error instanceof ChaosError, `${label}: loading threw a non-catalogue error: ${String(error)}`);
      assert.equal(exitCodeFor(error), EXIT.badInput, `${label}: ${error.code} is not bad input`);
      assert.ok(error.details.length >= 1 && error.details.length <= 51, `${label}: ${error.details.length} detail lines`);
      for (const line of error.details) assert.match(line, /:\d+:\d+ {2}/, `${label}: detail without a place: ${line}`);
    }
  }
  const took = Date.now() - started;
  t.diagnostic(`${MUTANTS} mutants, ${rejected} rejected, ${took} ms`);
  // Most mutations break something; if almost none is rejected the mutations have stopped biting.
  assert.ok(rejected > MUTANTS / 3, `only ${rejected} of ${MUTANTS} mutants were rejected`);
});
