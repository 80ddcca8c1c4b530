/** `chaosctl run`: load scenarios, bring up (or reuse) the stack, run each, write reports, exit with the verdict. */
import path from 'node:path';
import type { Command } from 'commander';
import { ChaosError, exitCodeFor } from '../core/errors.ts';
import type { Journal } from '../core/journal.ts';
import { listScenarioFiles, loadScenarioFile, resolveScenarioRef, scenarioDir, type LoadedScenario } from '../engine/scenario-loader.ts';
import { DEFAULT_OUT_DIR } from '../paths.ts';
import { writeHistoryIndex, writeRunOutputs } from '../../reports/write.ts';
import { findRun, type KeptRun } from '../../reports/history.ts';
import { keyFigures } from '../../reports/figures.ts';
import { printError } from './print-error.ts';
import { exitCodeForRun, withSession } from './session.ts';
import { parseInstances, parseSabotage, parseStackMode, say } from './shared.ts';
import { verdictLine } from './progress.ts';

export interface SelectionFlags {
  all?: boolean;
  scenarios?: string;
  /** Lay this profile over each scenario that declares it (the others run as written). */
  profile?: string;
}

interface RunFlags extends SelectionFlags {
  out: string;
  sabotage?: string;
  baseline?: string;
  stack: string;
  keepStack?: boolean;
  json?: boolean;
  dashboard: boolean;
  instances?: string;
}

/** Resolves and validates every named scenario (or the whole catalogue); all problems are reported before anything runs. */
export async function loadSelection(refs: string[], flags: SelectionFlags): Promise<LoadedScenario[]> {
  const dir = scenarioDir(flags.scenarios);
  if (flags.all && refs.length > 0) throw new ChaosError('CHAOSCTL_E_USAGE', { detail: 'give scenario ids or --all, not both' });
  if (!flags.all && refs.length === 0) throw new ChaosError('CHAOSCTL_E_USAGE', { detail: 'name at least one scenario (e.g. L11) or use --all' });
  const files = flags.all ? listScenarioFiles(dir) : refs.map((ref) => resolveScenarioRef(ref, dir));
  const loaded: LoadedScenario[] = [];
  const errors: ChaosError[] = [];
  for (const file of files) {
    try {
      const base = await loadScenarioFile(file);
      const hasProfile = flags.profile !== undefined && Object.hasOwn(base.scenario.profiles, flags.profile);
      loaded.push(hasProfile ? await loadScenarioFile(file, flags.profile) : base);
    } catch (error) {
      if (!(error instanceof ChaosError)) throw error;
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new ChaosError('CHAOSCTL_E_SCENARIO_INVALID', { file: `${errors.length} files`, count: errors.reduce((n, e) => n + e.details.length, 0) }, {
      details: errors.flatMap((e) => [e.message, ...e.details.map((d) => `  ${d}`)]),
    });
  }
  return loaded;
}

/**
 * Writes the run folder; returns the folder, each scenario's page and the line that says
 * where they are (null when nothing ran). The line is printed once the dashboard is gone,
 * so its last frame cannot overwrite it.
 */
export async function writeOutputs(journals: Journal[], outRoot: string, runId: string, baseline?: KeptRun): Promise<{ dir: string; pages: Map<Journal, string>; line: string } | null> {
  if (journals.length === 0) return null;
  const outDir = path.resolve(outRoot, runId);
  let files: string[];
  let pages: Awaited<ReturnType<typeof writeRunOutputs>>['pages'];
  let history: string;
  try {
    ({ files, pages } = await writeRunOutputs(journals, outDir, { outRoot: path.resolve(outRoot), baseline }));
    history = await writeHistoryIndex(path.resolve(outRoot));
  } catch (error) {
    throw new ChaosError('CHAOSCTL_E_OUTPUT', { dir: outDir, detail: (error as Error).message }, { cause: error });
  }
  const line = `reports: ${path.join(outDir, 'index.html')} (${files.length} files; every kept run: ${history})`;
  return { dir: outDir, pages: new Map(pages.map((p) => [p.journal, path.join(outDir, p.htmlFile)])), line };
}

/**
 * The `--json` answer: where the reports are, and per scenario its verdict, each
 * expectation's verdict and the key figures. `status` keeps its earlier shape.
 */
export function runSummaryJson(journals: Journal[], written: { dir: string; pages: Map<Journal, string> } | null): Record<string, unknown> {
  return {
    status: journals.map((j) => ({ id: j.scenario.id, status: j.status, reason: j.reason ?? null })),
    reportDir: written?.dir ?? null,
    index: written === null ? null : path.join(written.dir, 'index.html'),
    junit: written === null ? null : path.join(written.dir, 'junit.xml'),
    scenarios: journals.map((j) => ({
      id: j.scenario.id,
      status: j.status,
      reason: j.reason ?? null,
      sabotage: j.environment.sabotage,
      report: written?.pages.get(j) ?? null,
      figures: keyFigures(j),
      expectations: j.expectations.map((e) => ({ id: e.id, clause: e.clause, passed: e.passed, assertion: e.assertion, observed: e.observed })),
    })),
  };
}

async function run(refs: string[], flags: RunFlags): Promise<number> {
  const loaded = await loadSelection(refs, flags);
  const sabotage = parseSabotage(flags.sabotage);
  const baseline = flags.baseline === undefined ? undefined : await findRun(flags.baseline, flags.out);
  if (flags.baseline !== undefined && baseline === undefined) {
    throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `--baseline ${flags.baseline}: no run folder with journals there or under ${flags.out}` });
  }
  let written: Awaited<ReturnType<typeof writeOutputs>> = null;
  const { value: journals, signal } = await withSession(
    { stackMode: parseStackMode(flags.stack), keepStack: flags.keepStack ?? false, dashboard: flags.dashboard, json: flags.json ?? false, instances: parseInstances(flags.instances) },
    async (session) => {
      const done: Journal[] = [];
      for (const item of loaded) {
        if (session.signal.aborted) break;
        done.push(await session.run(item, sabotage));
      }
      written = await writeOutputs(done, flags.out, session.runId, baseline);
      return done;
    },
  );
  const reportLine = (written as Awaited<ReturnType<typeof writeOutputs>>)?.line;
  // The closing summary, after the stack is down: the last lines on screen, dashboard or not.
  say('');
  for (const journal of journals) say(verdictLine(journal));
  if (reportLine !== undefined) say(reportLine);
  if (flags.json) process.stdout.write(`${JSON.stringify(runSummaryJson(journals, written), null, 2)}\n`);
  const code = exitCodeForRun(journals, signal);
  say(`chaosctl: ${journals.map((j) => `${j.scenario.id} ${j.status}`).join(', ') || 'nothing ran'} → exit ${code}`);
  return code;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('Run scenarios (by id or file) against the stack, write reports, exit 0 only if every expectation held')
    .argument('[scenarios...]', 'scenario ids (L11, C1) or paths to scenario files')
    .option('--all', 'run every scenario in the catalogue')
    .option('--scenarios <dir>', 'folder of scenario files (default: the bundled catalogue, or $CHAOSCTL_SCENARIOS)')
    .option('--out <dir>', 'where run folders with journal, JUnit and HTML go', DEFAULT_OUT_DIR)
    .option('--profile <name>', 'lay this profile over every scenario that declares it, e.g. full: the seed\'s full size and durations')
    .option('--baseline <run>', 'compare each scenario\'s key figures with this run (a run id under --out, or a run folder) instead of its previous run')
    .option('--sabotage <switches>', 'TEST ONLY: start the target with these sabotage switches (comma-separated; see docs/sabotage.md)')
    .option('--stack <mode>', 'stack provider: local (child processes) or docker (containers through Dockerode)', 'local')
    .option('--instances <n>', 'run the target as N processes behind HAProxy (1–4), overriding each scenario\'s target.instances')
    .option('--keep-stack', 'leave a stack this run started running afterwards (a stack that was already up is always left up)')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--no-dashboard', 'plain progress lines instead of the live dashboard (the default when not on a terminal or in CI)')
    .addHelpText(
      'after',
      '\nExit codes: 0 all expectations held · 1 an expectation failed or a stop condition aborted the run · 2 bad input · 3 stack or driver failure · 130/143 interrupted (faults reverted)\n',
    )
    .action(async (refs: string[], flags: RunFlags) => {
      try {
        process.exitCode = await run(refs, flags);
      } catch (error) {
        printError(error);
        process.exitCode = exitCodeFor(error);
      }
    });
}
