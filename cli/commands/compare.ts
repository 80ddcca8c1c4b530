/** `chaosctl compare RUN_A RUN_B`: the key figures of each scenario in two kept runs, regressions marked. */
import type { Command } from 'commander';
import { ChaosError, EXIT, exitCodeFor } from '../core/errors.ts';
import { DEFAULT_OUT_DIR } from '../paths.ts';
import { compareRuns, comparisonLines } from '../../reports/comparison.ts';
import { findRun, type KeptRun } from '../../reports/history.ts';
import { printError } from './print-error.ts';
import { say } from './shared.ts';

interface CompareFlags {
  out: string;
  json?: boolean;
}

async function mustFind(ref: string, outRoot: string): Promise<KeptRun> {
  const run = await findRun(ref, outRoot);
  if (!run) throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `no run "${ref}": give a run id under ${outRoot} or the path of a run folder with journals` });
  return run;
}

/** The scenarios of B paired with the same scenario in A (the last one of each id, so a prove folder compares its healthy runs). */
function pairs(a: KeptRun, b: KeptRun): Array<{ id: string; before: KeptRun['journals'][number]; after: KeptRun['journals'][number] }> {
  const lastById = (run: KeptRun): Map<string, KeptRun['journals'][number]> => {
    const map = new Map<string, KeptRun['journals'][number]>();
    for (const k of run.journals.filter((j) => j.journal.environment.sabotage.length === 0)) map.set(k.journal.scenario.id, k);
    return map;
  };
  const before = lastById(a);
  return [...lastById(b).entries()].flatMap(([id, after]) => {
    const found = before.get(id);
    return found ? [{ id, before: found, after }] : [];
  });
}

async function compare(refA: string, refB: string, flags: CompareFlags): Promise<number> {
  const a = await mustFind(refA, flags.out);
  const b = await mustFind(refB, flags.out);
  const matched = pairs(a, b);
  if (matched.length === 0) throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `runs ${a.runId} and ${b.runId} have no unsabotaged scenario in common` });
  const results = matched.map(({ id, before, after }) => ({ id, before: before.journal, after: after.journal, rows: compareRuns(before.journal, after.journal) }));
  if (flags.json) {
    const scenarios = results.map((r) => ({ id: r.id, before: { runId: r.before.runId, status: r.before.status }, after: { runId: r.after.runId, status: r.after.status }, rows: r.rows }));
    process.stdout.write(`${JSON.stringify({ runA: a.runId, runB: b.runId, scenarios, regressions: results.reduce((n, r) => n + r.rows.filter((row) => row.regression).length, 0) }, null, 2)}\n`);
  } else {
    for (const r of results) for (const line of comparisonLines(r.id, r.before, r.after, r.rows)) process.stdout.write(`${line}\n`);
  }
  const regressions = results.flatMap((r) => r.rows.filter((row) => row.regression).map((row) => `${r.id} ${row.label}`));
  say(regressions.length === 0 ? 'compare: no regression' : `compare: ${regressions.length} regression(s): ${regressions.join(', ')}`);
  return EXIT.ok;
}

export function register(program: Command): void {
  program
    .command('compare')
    .description('Compare the key figures (p95, error rate, time to recover, expectations) of the scenarios two kept runs share, marking regressions')
    .argument('<run-a>', 'the earlier run: a run id under --out, or a run folder')
    .argument('<run-b>', 'the later run')
    .option('--out <dir>', 'the output folder the run ids are under', DEFAULT_OUT_DIR)
    .option('--json', 'print the comparison as JSON on stdout')
    .addHelpText('after', '\nA figure that got worse by more than 20% (and more than a few ms) is a regression; a count of errors or failed expectations that grew at all is one too. Exit 0 whatever the figures: gate on `run`, not on this.\n')
    .action(async (runA: string, runB: string, flags: CompareFlags) => {
      try {
        process.exitCode = await compare(runA, runB, flags);
      } catch (error) {
        printError(error);
        process.exitCode = exitCodeFor(error);
      }
    });
}
