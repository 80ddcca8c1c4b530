/**
 * The floors of the harness, read from the real import graph: every relative import and
 * export-from of every source file under cli/ and reports/ (dynamic import() too), parsed by
 * the TypeScript compiler, must point at its own floor or one this table lets it use. An
 * upward import (the core reaching into the engine, a driver into the runner, a reporter
 * into anything but the core) fails with the file and the specifier that broke the rule.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { PACKAGE_ROOT } from '../../cli/paths.ts';

type Floor = 'core' | 'base' | 'stack' | 'drivers' | 'registry' | 'engine' | 'dashboard' | 'reports' | 'commands' | 'target';

/** Which floor a project file is on, by where it lives; the first prefix that matches wins. */
const FLOORS: Array<[prefix: string, floor: Floor]> = [
  ['cli/core/', 'core'],
  ['cli/paths.ts', 'base'],
  ['cli/version.ts', 'base'],
  ['cli/stack/', 'stack'],
  // The registries compose the drivers into the scenario schema: above every driver, which never imports it.
  ['cli/drivers/registry.ts', 'registry'],
  ['cli/drivers/', 'drivers'],
  ['cli/engine/', 'engine'],
  ['cli/dashboard/', 'dashboard'],
  ['cli/commands/', 'commands'],
  ['cli/main.ts', 'commands'],
  ['reports/', 'reports'],
  // The system under test, which the harness reads only for its configuration and sabotage switches.
  ['target/', 'target'],
];

/** The floors each floor may import besides its own. */
const MAY_IMPORT: Record<Floor, Floor[]> = {
  core: [],
  reports: ['core'],
  base: [],
  dashboard: ['core'],
  stack: ['core', 'base', 'target'],
  drivers: ['core', 'stack'],
  registry: ['core', 'drivers'],
  engine: ['core', 'base', 'stack', 'drivers', 'registry', 'target'],
  commands: ['core', 'base', 'stack', 'drivers', 'registry', 'engine', 'dashboard', 'reports', 'target'],
  target: [],
};

function floorOf(file: string): Floor | undefined {
  return FLOORS.find(([prefix]) => file === prefix || file.startsWith(prefix))?.[1];
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(path.join(PACKAGE_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.tsx?$/.test(name))
    .map((name) => path.posix.join(dir, name.split(path.sep).join('/')));
}

/** Every module specifier of a source file: static imports, export-from, import() and import type. */
function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The rule broken by each upward import among `files` (project-relative paths), read through `read`. */
function upwardImports(files: string[], read: (file: string) => string): string[] {
  const broken: string[] = [];
  for (const file of files) {
    const from = floorOf(file);
    if (from === undefined) {
      broken.push(`${file} is on no floor: add it to FLOORS in test/package/layers.test.ts`);
      continue;
    }
    for (const specifier of specifiersOf(read(file))) {
      // Node builtins and npm packages are below every floor.
      if (!specifier.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      const to = floorOf(target);
      if (to === from || (to !== undefined && MAY_IMPORT[from].includes(to))) continue;
      broken.push(`${file} (${from}) imports ${specifier} (${to ?? 'outside every floor'})`);
    }
  }
  return broken;
}

const read = (file: string): string => readFileSync(path.join(PACKAGE_ROOT, file), 'utf8');

test('no import runs upward: core imports only core, reports only core, drivers neither the registry nor the engine', () => {
  const files = [...sourcesUnder('cli'), ...sourcesUnder('reports')];
  assert.ok(files.filter((f) => f.startsWith('cli/core/')).length >= 8, 'the walk found the core');
  assert.ok(files.filter((f) => f.startsWith('reports/')).length >= 10, 'the walk found the reporters');
  assert.deepEqual(upwardImports(files, read), []);
});

test('the walk sees every form of import, so an upward one cannot hide', () => {
  const sources: Record<string, string> = {
    'cli/core/a.ts': "import { x } from '../engine/runner.ts';",
    'cli/core/b.ts': "import type { Y } from '../drivers/load/types.ts';",
    'cli/core/c.ts': "export { z } from '../stack/types.ts';",
    'cli/core/d.ts': "export async function f() { return import('../commands/run.ts'); }",
    'reports/e.ts': "import { runScenario } from '../cli/engine/runner.ts';",
    'cli/drivers/f.ts': "import { journal } from '../core/journal.ts';\nimport { g } from '../engine/recover.ts';",
    'cli/drivers/load/h.ts': "import type { LoadSpec } from '../registry.ts';",
    'cli/elsewhere/g.ts': "import { ok } from '../core/journal.ts';",
  };
  assert.deepEqual(upwardImports(Object.keys(sources), (file) => sources[file] ?? ''), [
    'cli/core/a.ts (core) imports ../engine/runner.ts (engine)',
    'cli/core/b.ts (core) imports ../drivers/load/types.ts (drivers)',
    'cli/core/c.ts (core) imports ../stack/types.ts (stack)',
    'cli/core/d.ts (core) imports ../commands/run.ts (commands)',
    'reports/e.ts (reports) imports ../cli/engine/runner.ts (engine)',
    'cli/drivers/f.ts (drivers) imports ../engine/recover.ts (engine)',
    'cli/drivers/load/h.ts (drivers) imports ../registry.ts (registry)',
    'cli/elsewhere/g.ts is on no floor: add it to FLOORS in test/package/layers.test.ts',
  ]);
});
