/** `chaosctl list`: the scenario catalogue as a table (id, kind, title, seed rows covered). */
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../core/errors.ts';
import { checkScenarioFile, displayPath, listScenarioFiles, scenarioDir, type ScenarioFileCheck } from '../engine/scenario-loader.ts';

interface ListFlags {
  scenarios?: string;
  json?: boolean;
}

/** One catalogue entry; an invalid file keeps its place with `valid: false` and the id taken from its file name. */
export interface ListEntry {
  id: string;
  kind: string | null;
  title: string | null;
  covers: string[];
  file: string;
  valid: boolean;
  problemCount: number;
}

/** A catalogue entry from a checked file. */
export function listEntry(check: ScenarioFileCheck): ListEntry {
  const file = displayPath(check.file);
  const { scenario } = check;
  if (!scenario) {
    const id = path.basename(check.file, path.extname(check.file));
    return { id, kind: null, title: null, covers: [], file, valid: false, problemCount: check.problems.length };
  }
  return { id: scenario.id, kind: scenario.kind, title: scenario.title, covers: scenario.covers, file, valid: true, problemCount: 0 };
}

/** The table as lines: a header, then one row per entry, columns padded to their widest cell. */
export function renderTable(entries: ListEntry[]): string[] {
  const rows = entries.map((e) => [
    e.valid ? e.id : `${e.id} !`,
    e.kind ?? '-',
    e.title ?? `INVALID: ${e.problemCount} problem${e.problemCount === 1 ? '' : 's'}, see \`chaosctl validate ${e.file}\``,
    e.covers.join(', '),
  ]);
  const table = [['ID', 'KIND', 'TITLE', 'COVERS'], ...rows];
  const widths = table[0]?.map((_cell, col) => Math.max(...table.map((row) => (row[col] ?? '').length))) ?? [];
  return table.map((row) => row.map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd(widths[col] ?? 0))).join('  ').trimEnd());
}

async function list(flags: ListFlags): Promise<number> {
  const dir = scenarioDir(flags.scenarios);
  const checks = await Promise.all(listScenarioFiles(dir).map((file) => checkScenarioFile(file)));
  const entries = checks.map(listEntry);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
  } else if (entries.length === 0) {
    process.stderr.write(`no scenario files in ${displayPath(dir)}\n`);
  } else {
    for (const line of renderTable(entries)) process.stdout.write(`${line}\n`);
  }
  const invalid = entries.filter((e) => !e.valid).length;
  if (invalid > 0) process.stderr.write(`${invalid} scenario file${invalid === 1 ? ' has' : 's have'} problems (marked !); \`chaosctl validate\` lists them\n`);
  return EXIT.ok;
}

export function register(program: Command): void {
  program
    .command('list')
    .description('List the scenario catalogue: id, kind (load or chaos), title and the seed rows each scenario covers')
    .option('--scenarios <dir>', 'folder of scenario files (default: $CHAOSCTL_SCENARIOS, else the bundled catalogue)')
    .option('--json', 'print the catalogue as JSON on stdout instead of a table')
    .addHelpText('after', '\nAn invalid scenario file is listed with a "!" after its id; `chaosctl validate` shows its problems.')
    .action(async (flags: ListFlags) => {
      process.exitCode = await list(flags);
    });
}
