/**
 * The mutation bench's file → scenario table (bench/mutation/modules.ts) against
 * the code and the catalogue it was derived from: every promise-bearing module
 * is there, every file and line range exists, every scenario id exists, and a
 * file that reads a sabotage switch runs a scenario that catches that switch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import { loadCatalogue } from '../../cli/engine/write-clauses.ts';
import { MUTATION_MODULES, mutatedFile, mutatedFiles, mutatePatterns } from '../../bench/mutation/modules.ts';

const catalogue = loadCatalogue();
const byId = new Map(catalogue.map((s) => [s.id, s]));

test('the table names every promise-bearing area of issue 9', () => {
  assert.deepEqual(
    MUTATION_MODULES.map((m) => m.name),
    ['health', 'payments-webhooks', 'notifier-retries', 'alerts', 'throttling', 'scheduler-reminders', 'conversation-state'],
  );
  for (const m of MUTATION_MODULES) assert.ok(m.files.length > 0, `${m.name} mutates at least one file`);
});

for (const entry of mutatedFiles()) {
  test(`${entry.file}: exists, and maps to existing scenarios`, () => {
    const file = path.join(PACKAGE_ROOT, entry.file);
    assert.ok(existsSync(file), `${entry.file} exists`);
    const lineCount = readFileSync(file, 'utf8').split('\n').length;
    for (const [from, to] of entry.lines ?? []) assert.ok(from >= 1 && from <= to && to <= lineCount, `${from}-${to} lies inside its ${lineCount} lines`);
    assert.ok(entry.scenarios.length > 0, 'at least one scenario');
    for (const id of entry.scenarios) assert.ok(byId.has(id), `scenario ${id} exists in scenarios/`);
  });
}

test('a file that reads a sabotage switch runs a scenario catching that switch', () => {
  for (const entry of mutatedFiles()) {
    const text = readFileSync(path.join(PACKAGE_ROOT, entry.file), 'utf8');
    const switches = [...text.matchAll(/sabotage\.has\('([a-z0-9-]+)'\)/g)].map((m) => m[1] as string);
    for (const name of new Set(switches)) {
      const catchers = catalogue.filter((s) => s.catches.includes(name)).map((s) => s.id);
      if (catchers.length === 0) continue; // a switch no scenario catches (rollback): nothing to run for it
      assert.ok(
        entry.scenarios.some((id) => catchers.includes(id)),
        `${entry.file} reads ${name}, caught by ${catchers.join(', ')}, but runs ${entry.scenarios.join(', ')}`,
      );
    }
  }
});

test("each module's clauses are covered by the scenarios its files run", () => {
  for (const m of MUTATION_MODULES) {
    const covered = new Set(m.files.flatMap((f) => f.scenarios.flatMap((id) => byId.get(id)?.covers ?? [])));
    for (const clause of m.clauses) assert.ok(covered.has(clause), `${m.name}: clause ${clause} is covered by one of its scenarios`);
  }
});

test('mutate patterns: whole files, or one pattern per line range', () => {
  const patterns = mutatePatterns();
  assert.ok(patterns.includes('target/alerts/alert-service.ts'));
  const handlers = mutatedFile('target/bot/handlers.ts');
  assert.ok(handlers?.lines);
  for (const [from, to] of handlers.lines) assert.ok(patterns.includes(`target/bot/handlers.ts:${from}-${to}`));
  assert.equal(mutatedFile('target/main.ts'), undefined);
});
