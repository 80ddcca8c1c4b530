/** `chaosctl validate`: check scenario files and report every problem with its file, line and YAML path. */
import type { Command } from 'commander';
import { EXIT } from '../core/errors.ts';
import {
  checkScenarioFile,
  displayPath,
  formatProblem,
  listScenarioFiles,
  resolveScenarioRef,
  scenarioDir,
  type Problem,
  type ScenarioFileCheck,
} from '../engine/scenario-loader.ts';

interface ValidateFlags {
  scenarios?: string;
  json?: boolean;
}

/** The --json result: one entry per file, problems as the loader reports them. */
export interface ValidateReport {
  ok: boolean;
  fileCount: number;
  problemCount: number;
  files: { file: string; ok: boolean; problems: Problem[] }[];
}

/** Builds the --json result from the checked files. */
export function validateReport(checks: ScenarioFileCheck[]): ValidateReport {
  const problemCount = checks.reduce((n, c) => n + c.problems.length, 0);
  return {
    ok: problemCount === 0,
    fileCount: checks.length,
    problemCount,
    files: checks.map((c) => ({ file: displayPath(c.file), ok: c.problems.length === 0, problems: c.problems })),
  };
}

/** The human lines for the checked files: `ok  <file>`, or a header and every problem. */
export function validateLines(checks: ScenarioFileCheck[]): string[] {
  const lines = checks.flatMap((c) => {
    const shown = displayPath(c.file);
    if (c.problems.length === 0) return [`ok  ${shown}`];
    return [`FAIL  ${shown}: ${plural(c.problems.length, 'problem')}`, ...c.problems.map((p) => `  ${formatProblem(p)}`)];
  });
  const bad = checks.filter((c) => c.problems.length > 0);
  const problemCount = bad.reduce((n, c) => n + c.problems.length, 0);
  const summary =
    bad.length === 0
      ? `${plural(checks.length, 'scenario file')} checked, all valid`
      : `${plural(checks.length, 'scenario file')} checked: ${checks.length - bad.length} valid, ${bad.length} with ${plural(problemCount, 'problem')}`;
  return [...lines, summary];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function validate(refs: string[], flags: ValidateFlags): Promise<number> {
  const dir = scenarioDir(flags.scenarios);
  const files = refs.length > 0 ? refs.map((ref) => resolveScenarioRef(ref, dir)) : listScenarioFiles(dir);
  if (files.length === 0) process.stderr.write(`no scenario files in ${displayPath(dir)}\n`);
  const checks = await Promise.all(files.map((file) => checkScenarioFile(file)));
  // Human output on stderr in both modes, so stdout carries only the --json result.
  for (const line of validateLines(checks)) process.stderr.write(`${line}\n`);
  if (flags.json) process.stdout.write(`${JSON.stringify(validateReport(checks), null, 2)}\n`);
  return checks.some((c) => c.problems.length > 0) ? EXIT.badInput : EXIT.ok;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check scenario files against the schema and their cross-references; list every problem with file:line:column and YAML path')
    .argument('[files...]', 'scenario files or ids (L11, C1); default: every file in the scenario folder')
    .option('--scenarios <dir>', 'folder of scenario files (default: $CHAOSCTL_SCENARIOS, else the bundled catalogue)')
    .option('--json', 'also print the problems as JSON on stdout (human lines stay on stderr)')
    .addHelpText('after', '\nExit codes: 0 every file is valid · 2 a file has problems, or a file was not found')
    .action(async (refs: string[], flags: ValidateFlags) => {
      process.exitCode = await validate(refs, flags);
    });
}
