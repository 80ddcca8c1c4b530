/**
 * `npm run mutation [-- --budget 45m --seed 9 --max N | --report]`: measures how
 * many mutants of the target's promise-bearing modules the scenario catalogue
 * kills. Draws a sample that fits the budget (bench/mutation/sample.ts), runs it
 * through StrykerJS's command runner (each mutant against its file's scenarios,
 * bench/mutation/scenario-command.ts), keeps every result as it comes
 * (progress-reporter.ts), merges it into reports/mutation/results.json and
 * writes reports/mutation/report.md. Runs add up: each draws only mutants not
 * measured yet. Not part of `npm test` or CI (a sample takes tens of minutes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatMs, toMs } from '../../cli/core/duration.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import { takeCensus } from './census.ts';
import { EQUIVALENT_MUTANTS } from './equivalents.ts';
import { MUTATION_MODULES, mutatedFile, mutatePatterns } from './modules.ts';
import type { CensusMutant, MutantRecord, Span } from './mutant.ts';
import { PROGRESS_FILE_ENV, type ProgressLine } from './progress-reporter.ts';
import { judge, mergeRecords, recordsFromProgress, renderReport, spanText, summarize } from './results.ts';
import { drawSample } from './sample.ts';
import { COMMAND_LOG_ENV } from './scenario-command.ts';
import { LEASE_FILE_ENV, releaseLease } from './scenario-lease.ts';

const OUT_DIR = path.join(PACKAGE_ROOT, 'reports', 'mutation');
const RESULTS_FILE = path.join(OUT_DIR, 'results.json');
const PROGRESS_FILE = path.join(OUT_DIR, 'progress.jsonl');
const REPORT_FILE = path.join(OUT_DIR, 'report.md');
const CONFIG_FILE = path.join(OUT_DIR, 'stryker.config.json');
const COMMAND_LOG = path.join(OUT_DIR, 'commands.log');
const LEASE_FILE = path.join(OUT_DIR, 'lease.json');
const TEMP_DIR = path.join(PACKAGE_ROOT, '.stryker-tmp');
/** Cost of one scenario run (runner, target restart, timeline) until a file has measurements of its own. */
const DEFAULT_SCENARIO_MS = 50_000;
/**
 * Stryker's bound on one mutant's command. It includes the wait for the scenario
 * lock, so it is only a backstop; the command bounds each scenario run itself.
 */
const MUTANT_TIMEOUT_MS = 60 * 60_000;

interface Flags {
  budgetMs: number;
  seed: number;
  max?: number;
  reportOnly: boolean;
}

export function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = { budgetMs: toMs('45m'), seed: 9, reportOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--budget') flags.budgetMs = toMs(value());
    else if (arg === '--seed') flags.seed = positiveInteger(arg, value());
    else if (arg === '--max') flags.max = positiveInteger(arg, value());
    else if (arg === '--report') flags.reportOnly = true;
    else throw new Error(`unknown option ${arg} (known: --budget 45m, --seed N, --max N, --report)`);
  }
  return flags;
}

function positiveInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} wants a positive integer, got "${text}"`);
  return n;
}

async function readRecords(): Promise<MutantRecord[]> {
  return existsSync(RESULTS_FILE) ? (JSON.parse(await readFile(RESULTS_FILE, 'utf8')) as MutantRecord[]) : [];
}

/** Moves what a run (finished or cut short) left in the progress file into the results file. */
async function foldProgress(census: readonly CensusMutant[]): Promise<number> {
  if (!existsSync(PROGRESS_FILE)) return 0;
  const lines = (await readFile(PROGRESS_FILE, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ProgressLine);
  const fresh = recordsFromProgress(lines, census, PACKAGE_ROOT);
  const merged = mergeRecords(await readRecords(), fresh);
  await writeFile(`${RESULTS_FILE}.tmp`, `${JSON.stringify(merged, null, 1)}\n`);
  await rename(`${RESULTS_FILE}.tmp`, RESULTS_FILE);
  rmSync(PROGRESS_FILE);
  return fresh.length;
}

/** Stops the stack a sandbox left running (its state is inside it) and removes the sandbox. */
function removeSandboxes(say: (line: string) => void): void {
  if (!existsSync(TEMP_DIR)) return;
  for (const name of readdirSync(TEMP_DIR)) {
    const dir = path.join(TEMP_DIR, name);
    if (existsSync(path.join(dir, '.chaosctl', 'stack.json'))) {
      say(`stopping the stack of ${name}`);
      spawnSync(process.execPath, [path.join('cli', 'bin', 'chaosctl.js'), 'down'], { cwd: dir, stdio: 'inherit' });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function estimator(records: readonly MutantRecord[]): (file: string) => number {
  return (file) => {
    const own = records.filter((r) => r.file === file && r.durationMs !== undefined);
    if (own.length >= 3) return own.reduce((s, r) => s + (r.durationMs ?? 0), 0) / own.length;
    return DEFAULT_SCENARIO_MS * (mutatedFile(file)?.scenarios.length ?? 1);
  };
}

/** Runs Stryker on `patterns`, cut off at `deadline`: its whole process group gets SIGTERM, so a running scenario reverts its faults. */
async function runStryker(patterns: readonly string[], deadlineMs: number, say: (line: string) => void): Promise<void> {
  const config = {
    testRunner: 'command',
    commandRunner: { command: `${JSON.stringify(process.execPath)} --import tsx bench/mutation/scenario-command.ts` },
    mutate: patterns,
    appendPlugins: [path.join(PACKAGE_ROOT, 'bench', 'mutation', 'progress-reporter.ts')],
    reporters: ['chaosctl-progress', 'progress'],
    concurrency: 1,
    coverageAnalysis: 'off',
    timeoutMS: MUTANT_TIMEOUT_MS,
    // The dry run waits for the scenario lock like any run.
    dryRunTimeoutMinutes: 60,
    tempDirName: '.stryker-tmp',
    cleanTempDir: false,
    ignorePatterns: ['/reports/runs', '/reports/mutation', '/reports/ci', 'docs', 'test', '.chaosctl', '.chaosctl-ci', '.ci', 'docker'],
    disableTypeChecks: false,
    incremental: false,
  };
  await writeFile(CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`);
  const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'node_modules', '@stryker-mutator/core', 'bin', 'stryker.js'), 'run', CONFIG_FILE], {
    cwd: PACKAGE_ROOT,
    // The progress reporter is TypeScript: every Stryker process loads tsx.
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import tsx`.trim(), [PROGRESS_FILE_ENV]: PROGRESS_FILE, [COMMAND_LOG_ENV]: COMMAND_LOG, [LEASE_FILE_ENV]: LEASE_FILE },
    stdio: 'inherit',
    detached: true,
  });
  const stop = (why: string): void => {
    say(`stopping Stryker: ${why}`);
    try {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => stop('budget spent'), Math.max(0, deadlineMs - Date.now()));
  const onSignal = (): void => stop('interrupted');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  say(`Stryker ended (exit ${code ?? 'signal'})`);
}

async function writeReport(census: readonly CensusMutant[]): Promise<void> {
  const sources = new Map<string, string[]>();
  const sourceText = (file: string, span: Span): string => {
    if (!sources.has(file)) sources.set(file, readFileSync(path.join(PACKAGE_ROOT, file), 'utf8').split('\n'));
    return spanText(sources.get(file) ?? [], span);
  };
  const { judged, stale } = judge(await readRecords(), census, EQUIVALENT_MUTANTS, sourceText);
  const summary = summarize(judged, census, MUTATION_MODULES);
  await writeFile(REPORT_FILE, renderReport(summary, judged, { generatedAt: new Date().toISOString(), stale }));
}

async function main(argv: readonly string[]): Promise<number> {
  const say = (line: string): void => void process.stderr.write(`mutation: ${line}\n`);
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (error) {
    say((error as Error).message);
    return 2;
  }
  const started = Date.now();
  await mkdir(OUT_DIR, { recursive: true });
  removeSandboxes(say);
  const census = await takeCensus(PACKAGE_ROOT, MUTATION_MODULES);
  say(`census: ${census.length} mutants in ${mutatePatterns().length} files/ranges`);
  const folded = await foldProgress(census);
  if (folded > 0) say(`kept ${folded} results a previous run left in progress`);

  if (!flags.reportOnly) {
    const records = await readRecords();
    const valid = new Set(records.filter((r) => census.some((m) => m.key === r.key && m.fileHash === r.fileHash)).map((r) => r.key));
    const sample = drawSample({ census, measured: valid, budgetMs: flags.budgetMs, estimateMs: estimator(records), seed: flags.seed, ...(flags.max ? { maxMutants: flags.max } : {}) });
    say(`sample: ${sample.mutants.length} mutants from ${sample.patterns.length} seeds (seed ${flags.seed}), estimated ${formatMs(sample.estimatedMs)} of ${formatMs(flags.budgetMs)}`);
    if (sample.mutants.length > 0) {
      try {
        await runStryker(sample.patterns, started + flags.budgetMs, say);
      } finally {
        // Stopping the sandbox's stack needs no lock; let others have it at once.
        releaseLease(LEASE_FILE);
        removeSandboxes(say);
        const kept = await foldProgress(census);
        say(`measured ${kept} mutants in ${formatMs(Date.now() - started)}`);
      }
    }
  }
  await writeReport(census);
  say(`report: ${path.relative(process.cwd(), REPORT_FILE)}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
