import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatProblem, listScenarioFiles, validateScenarioText } from '../../cli/engine/scenario-loader.ts';
import { DEFAULT_SCENARIO_DIR, PACKAGE_ROOT } from '../../cli/paths.ts';
import { CLAUSES_FILE, loadCatalogue, renderClauses, SEED_ROWS } from '../../cli/engine/write-clauses.ts';
import { commentPlaces, namesRow, readSources, renderTrace, testTitles, TRACE_FILE } from '../../cli/engine/write-trace.ts';

const files = listScenarioFiles(DEFAULT_SCENARIO_DIR);

test('the scenario catalogue folder is readable', () => {
  assert.ok(statSync(DEFAULT_SCENARIO_DIR).isDirectory(), `${DEFAULT_SCENARIO_DIR} is a folder`);
  assert.doesNotThrow(() => readdirSync(DEFAULT_SCENARIO_DIR));
});

for (const file of files) {
  const name = path.basename(file);
  test(`scenarios/${name} is valid and its id matches its file name`, () => {
    const { scenario, problems } = validateScenarioText(readFileSync(file, 'utf8'), `scenarios/${name}`);
    assert.deepEqual(problems.map(formatProblem), [], `scenarios/${name} has problems`);
    assert.equal(scenario?.id, path.basename(name, path.extname(name)));
  });
}

// The catalogue as a whole (issue 5): every seed row has its scenario, every scenario names
// the switches it catches, and docs/seed-clauses.md lists every expectation under its row.
const catalogue = loadCatalogue();
const SEED_IDS = SEED_ROWS.map(([row]) => row);

/**
 * The seed row a scenario belongs to: its own id (C1), a variant of a row under a
 * neighbouring fault with a letter after it (C1B: the database hangs instead of stopping),
 * or a second scenario of a row with a word suffix (C7-RACE). Null for any other id.
 */
function seedRowOf(id: string): string | null {
  if (SEED_IDS.includes(id)) return id;
  const row = /^([LC]\d+)[B-Z]$/.exec(id)?.[1] ?? /^(.+)-[A-Z0-9]+$/.exec(id)?.[1];
  return row !== undefined && SEED_IDS.includes(row) ? row : null;
}

test('one scenario per seed row (L1–L11, C1–C11, B3, B4), each covering its own row; variants (C1B, C7-RACE) cover the row they vary', () => {
  const ids = catalogue.map((s) => s.id);
  for (const row of SEED_IDS) assert.equal(ids.filter((id) => id === row).length, 1, `${row} has its scenario`);
  for (const scenario of catalogue) {
    const row = seedRowOf(scenario.id);
    assert.ok(row, `${scenario.id} is a seed row's id, or one with a letter or a word suffix after it (C1B, C7-RACE)`);
    assert.ok(scenario.covers.includes(row), `${scenario.id} covers its own row ${row}`);
  }
});

test('every scenario names at least one sabotage switch it catches', () => {
  for (const scenario of catalogue) assert.ok(scenario.catches.length > 0, `${scenario.id} catches nothing`);
});

test('every seed row has expectations in its own scenario, and every expectation\'s row is one its scenario covers', () => {
  for (const scenario of catalogue) {
    const row = seedRowOf(scenario.id);
    assert.ok(scenario.expect.some((e) => e.clause === row), `${scenario.id} has an expectation for its own row ${row ?? '?'}`);
    for (const e of scenario.expect) assert.ok(scenario.covers.includes(e.clause), `${scenario.id}: clause ${e.clause} is not in covers [${scenario.covers.join(', ')}]`);
  }
});

/** A generated doc must be on disk exactly as its generator writes it now. */
function assertGenerated(file: string, expected: string, script: string, from: string): void {
  const name = path.relative(PACKAGE_ROOT, file);
  let onDisk = '';
  try {
    onDisk = readFileSync(file, 'utf8');
  } catch {
    assert.fail(`${name} is missing: run npm run ${script}`);
  }
  assert.ok(onDisk === expected, `${name} is out of date with ${from}: run npm run ${script} and commit the result`);
}

test('docs/seed-clauses.md matches the catalogue', () => {
  assertGenerated(CLAUSES_FILE, renderClauses(catalogue), 'clauses', 'scenarios/');
});

test('docs/target-trace.md matches the tree (code comments, test titles, scenarios)', () => {
  assertGenerated(TRACE_FILE, renderTrace(readSources()), 'trace', 'the tree');
});

test('the trace names a row only as a whole token, and finds comments above declarations and test titles', () => {
  assert.ok(namesRow('C7/L9: credited once', 'L9'));
  assert.ok(namesRow('C7/L9: credited once', 'C7'));
  assert.ok(!namesRow('L10: no double credit', 'L1'));
  assert.ok(!namesRow('a neighbour of C1B', 'C1'));
  assert.ok(!namesRow('§7.4 fast 503', '§7'));
  assert.ok(namesRow('(seed §7.4)', '§7.4'));
  const places = commentPlaces('x.ts', ['/** L5: paged. */', 'export async function sendDue() {}', '', '// C9 here', 'const a = 1; // B7 trailing'].join('\n'));
  assert.deepEqual(places.map((p) => [p.name, namesRow(p.comment, 'L5'), namesRow(p.comment, 'C9'), namesRow(p.comment, 'B7')]), [
    ['sendDue', true, false, false],
    ['a', false, true, false],
    [null, false, false, true],
  ]);
  assert.deepEqual(testTitles('t.test.ts', "test('L1: it\\'s fast', () => {});\ntest(\"C2: two\", { timeout: 1 }, async () => {});").map((t) => t.title), ["L1: it's fast", 'C2: two']);
});

test('the catalogue table in docs/scenarios.md has one row per scenario with its exact catches', () => {
  const doc = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'scenarios.md'), 'utf8');
  for (const scenario of catalogue) {
    const row = doc.split('\n').find((line) => line.startsWith(`| ${scenario.id} |`));
    assert.ok(row, `docs/scenarios.md has a catalogue row for ${scenario.id}`);
    const catchesCell = row.split('|')[5] ?? ''; // | id | kind | what it does | seed rows | catches | timeline |
    const listed = [...catchesCell.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), [...scenario.catches].sort(), `${scenario.id}: the row's switches match catches`);
  }
});

test('docs/sabotage.md names, for each switch, every scenario that catches it', () => {
  const doc = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'sabotage.md'), 'utf8');
  for (const scenario of catalogue) {
    for (const name of scenario.catches) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      assert.ok(row, `docs/sabotage.md has a row for ${name}`);
      const caughtBy = row.split('|')[3] ?? '';
      assert.match(caughtBy, new RegExp(`\\b${scenario.id}\\b`), `the row of ${name} names ${scenario.id} under "caught by"`);
    }
  }
});
