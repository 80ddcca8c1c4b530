/** `chaosctl run`: load scenarios, bring up (or reuse) the stack, run each, write reports, exit with the verdict. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Command } from 'commander';
import { ChaosError, EXIT, exitCodeFor } from '../engine/errors.ts';
import { EventBus } from '../engine/events.ts';
import type { Journal } from '../engine/journal.ts';
import { recover } from '../engine/recover.ts';
import { acquireRunLock } from '../engine/run-lock.ts';
import { runScenario } from '../engine/runner.ts';
import { listScenarioFiles, loadScenarioFile, resolveScenarioRef, scenarioDir, type LoadedScenario } from '../engine/scenario-loader.ts';
import { DEFAULT_OUT_DIR } from '../paths.ts';
import { writeRunOutputs } from '../../reports/write.ts';
import { printError } from './print-error.ts';
import { attachProgress } from './progress.ts';
import { attachDashboard } from '../dashboard/live.tsx';
import { openStack, parseSabotage, parseStackMode, say, VERSION } from './shared.ts';

interface RunFlags {
  all?: boolean;
  scenarios?: string;
  out: string;
  sabotage?: string;
  stack: string;
  keepStack?: boolean;
  json?: boolean;
  dashboard: boolean;
}

function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The exit code for a set of journals: interrupted > harness error > failed verdict > pass. */
export function exitCodeForRun(journals: Journal[], signal: 'SIGINT' | 'SIGTERM' | null): number {
  if (signal) return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  if (journals.some((j) => j.status === 'error')) return EXIT.stackFailure;
  if (journals.some((j) => j.status === 'failed')) return EXIT.verdictFailed;
  return EXIT.ok;
}

async function loadAll(refs: string[], flags: RunFlags): Promise<LoadedScenario[]> {
  const dir = scenarioDir(flags.scenarios);
  if (flags.all && refs.length > 0) throw new ChaosError('CHAOSCTL_E_USAGE', { detail: 'give scenario ids or --all, not both' });
  if (!flags.all && refs.length === 0) throw new ChaosError('CHAOSCTL_E_USAGE', { detail: 'name at least one scenario (e.g. `chaosctl run L11`) or use --all' });
  const files = flags.all ? listScenarioFiles(dir) : refs.map((ref) => resolveScenarioRef(ref, dir));
  const loaded: LoadedScenario[] = [];
  const errors: ChaosError[] = [];
  for (const file of files) {
    try {
      loaded.push(await loadScenarioFile(file));
    } catch (error) {
      if (!(error instanceof ChaosError)) throw error;
      errors.push(error);
    }
  }
  // Every bad file is reported before anything runs.
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new ChaosError('CHAOSCTL_E_SCENARIO_INVALID', { file: `${errors.length} files`, count: errors.reduce((n, e) => n + e.details.length, 0) }, {
      details: errors.flatMap((e) => [e.message, ...e.details.map((d) => `  ${d}`)]),
    });
  }
  return loaded;
}

async function run(refs: string[], flags: RunFlags): Promise<number> {
  const loaded = await loadAll(refs, flags);
  const sabotage = parseSabotage(flags.sabotage);
  const { stack, ledger, dir } = openStack(parseStackMode(flags.stack));
  const lock = acquireRunLock(dir);
  const interrupt = new AbortController();
  let signal: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => (): void => {
    if (signal) {
      say(`chaosctl: still reverting faults after ${signal}; please wait (they are bounded in time)`);
      return;
    }
    signal = name;
    say(`chaosctl: ${name} received: ending the timeline and reverting every fault…`);
    interrupt.abort();
  };
  const sigint = onSignal('SIGINT');
  const sigterm = onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);

  const bus = new EventBus();
  // The live dashboard on an interactive terminal; plain lines everywhere else (CI, pipes, --json).
  const live = flags.dashboard && !flags.json && process.stderr.isTTY === true && !process.env.CI;
  const detach = live ? attachDashboard(bus, process.stderr) : attachProgress(bus, say);
  const journals: Journal[] = [];
  let ephemeral = false;
  try {
    const leftovers = await recover(stack, ledger, { onlyOrphans: true, progress: (l) => say(`chaosctl: leftover from a killed run: ${l}`) });
    if (leftovers.failed.length > 0) {
      throw new ChaosError('CHAOSCTL_E_REVERT', { count: leftovers.failed.length, detail: leftovers.failed.map((f) => f.error).join('; ') });
    }
    ephemeral = (await stack.endpoints()) === null;
    const runId = newRunId();
    for (const item of loaded) {
      if (interrupt.signal.aborted) break;
      const endpoints = await stack.up(
        { env: item.scenario.target.env, sabotage },
        (line) => bus.emit('stack:progress', { line }),
      );
      const services = { target: endpoints.targetUrl, toxiproxy: endpoints.toxiproxyUrl, ...Object.fromEntries(Object.values(endpoints.proxies).map((p) => [`proxy ${p.name}`, `${p.listen} → ${p.upstream}`])) };
      journals.push(
        await runScenario({ loaded: item, runId, stack, endpoints, bus, ledger, signal: interrupt.signal, sabotage, chaosctlVersion: VERSION, services }),
      );
    }
    if (journals.length > 0) {
      const outDir = path.resolve(flags.out, runId);
      const { files } = await writeRunOutputs(journals, outDir);
      say(`\nreports: ${path.join(outDir, 'index.html')} (${files.length} files)`);
    }
  } finally {
    detach();
    if (ephemeral && !flags.keepStack) {
      try {
        await stack.down((line) => say(`  stack: ${line}`));
      } catch (error) {
        printError(error);
      }
    }
    lock.release();
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
  const summary = journals.map((j) => `${j.scenario.id} ${j.status}`).join(', ');
  if (flags.json) process.stdout.write(`${JSON.stringify({ status: journals.map((j) => ({ id: j.scenario.id, status: j.status, reason: j.reason ?? null })) }, null, 2)}\n`);
  const code = exitCodeForRun(journals, signal);
  say(`chaosctl: ${summary || 'nothing ran'} → exit ${code}`);
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
    .option('--sabotage <switches>', 'TEST ONLY: start the target with these sabotage switches (comma-separated; see docs/sabotage.md)')
    .option('--stack <mode>', 'stack provider: local (child processes)', 'local')
    .option('--keep-stack', 'leave a stack this run started running afterwards (a stack that was already up is always left up)')
    .option('--json', 'print a machine-readable summary on stdout')
    .option('--no-dashboard', 'plain progress lines instead of the live dashboard (the default when not on a terminal or in CI)')
    .addHelpText(
      'after',
      '\nExit codes: 0 all expectations held · 1 an expectation failed · 2 bad input · 3 stack or driver failure · 130/143 interrupted (faults reverted)\n',
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
