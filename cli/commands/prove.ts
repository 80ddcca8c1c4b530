/** `chaosctl prove`: show that each scenario fails when the behaviour it guards is switched off in the target. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ChaosError, EXIT, exitCodeFor } from '../core/errors.ts';
import { scenarioFingerprint } from '../engine/scenario-loader.ts';
import { readJournal, writeHistoryIndex, writeProveOutputs, type ProofInput } from '../../reports/write.ts';
import type { Journal } from '../core/journal.ts';
import { judgeProof, proofSummary, type ProofRow } from '../core/proof.ts';
import { DEFAULT_OUT_DIR } from '../paths.ts';
import { printError } from './print-error.ts';
import { loadSelection, type SelectionFlags } from './run.ts';
import { withSession } from './session.ts';
import { parseInstances, parseStackMode, say } from './shared.ts';

interface ProveFlags extends SelectionFlags {
  out: string;
  baseline?: string;
  stack: string;
  keepStack?: boolean;
  json?: boolean;
  dashboard: boolean;
  instances?: string;
}

const MARK: Record<ProofRow['outcome'], string> = {
  caught: 'CAUGHT',
  'not-caught': 'NOT CAUGHT',
  'baseline-failed': 'NO BASELINE',
  inconclusive: 'INCONCLUSIVE',
  'no-sabotage-declared': 'NO SABOTAGE',
};

/**
 * Healthy journals of an earlier run (e.g. `chaosctl run --all` just before, in the same
 * checkout), by scenario fingerprint: a scenario whose exact healthy run is there is not
 * run healthy again. Journals of sabotaged runs, or of a scenario that has changed since,
 * are never used.
 */
async function readBaselines(dir: string | undefined): Promise<Map<string, { journal: Journal; file: string }>> {
  const found = new Map<string, { journal: Journal; file: string }>();
  if (dir === undefined) return found;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new ChaosError('CHAOSCTL_E_BASELINE', { dir, detail: (error as Error).message }, { cause: error });
  }
  const journals = names.filter((n) => n.endsWith('.journal.json'));
  if (journals.length === 0) throw new ChaosError('CHAOSCTL_E_BASELINE', { dir, detail: 'no *.journal.json in it; give the run folder of an earlier `chaosctl run`' });
  for (const name of journals) {
    const file = path.join(dir, name);
    let journal: Journal;
    try {
      journal = await readJournal(file);
    } catch (error) {
      throw new ChaosError('CHAOSCTL_E_BASELINE', { dir, detail: (error as Error).message }, { cause: error });
    }
    const fingerprint = journal.scenario.fingerprint;
    if (fingerprint && journal.environment.sabotage.length === 0) found.set(fingerprint, { journal, file });
  }
  return found;
}

/** Writes the run folder of a proof (its page is the folder's index); returns the line that says where, printed after the dashboard is gone. */
async function writeProofOutputs(proofs: ProofInput[], journals: Journal[], outRoot: string, runId: string): Promise<string | undefined> {
  if (proofs.length === 0) return undefined;
  const outDir = path.resolve(outRoot, runId);
  const { files } = await writeProveOutputs(proofs, journals, outDir, { outRoot: path.resolve(outRoot) });
  await writeHistoryIndex(path.resolve(outRoot));
  return `proof report: ${path.join(outDir, 'index.html')} · JUnit: ${path.join(outDir, 'junit.xml')} (${files.length} files)`;
}

async function prove(refs: string[], flags: ProveFlags): Promise<number> {
  const loaded = await loadSelection(refs, flags);
  // A scenario with nothing to prove is a mistake in what was asked, found before any stack starts.
  const bare = loaded.filter((item) => item.scenario.catches.length === 0).map((item) => item.scenario.id);
  if (bare.length > 0) throw new ChaosError('CHAOSCTL_E_PROVE_NO_SWITCHES', { ids: bare.join(', ') });
  const baselines = await readBaselines(flags.baseline);
  let reportLine: string | undefined;
  const { value: rows, signal } = await withSession(
    { stackMode: parseStackMode(flags.stack), keepStack: flags.keepStack ?? false, dashboard: flags.dashboard, json: flags.json ?? false, instances: parseInstances(flags.instances) },
    async (session) => {
      const proofs: ProofInput[] = [];
      const journals: Journal[] = [];
      for (const item of loaded) {
        const { id, catches, title } = item.scenario;
        if (catches.length === 0) {
          proofs.push({ title, row: { scenario: id, sabotage: null, outcome: 'no-sabotage-declared', detail: 'the scenario lists no switch under "catches"' } });
          continue;
        }
        if (session.signal.aborted) break;
        const reused = baselines.get(scenarioFingerprint(item.scenario));
        if (reused) say(`${id}: healthy run reused from ${reused.file} (${reused.journal.status})`);
        const baseline = reused?.journal ?? (await session.run(item, []));
        if (!reused) journals.push(baseline);
        for (const name of catches) {
          if (session.signal.aborted) break;
          const sabotaged = await session.run(item, [name]);
          journals.push(sabotaged);
          proofs.push({ title, row: judgeProof(id, name, baseline, sabotaged), healthy: { journal: baseline, reusedFile: reused?.file }, sabotaged });
        }
      }
      reportLine = await writeProofOutputs(proofs, journals, flags.out, session.runId);
      return proofs.map((p) => p.row);
    },
  );
  if (reportLine !== undefined) say(`\n${reportLine}`);
  const summary = proofSummary(rows);
  say('');
  for (const row of rows) say(`${MARK[row.outcome].padEnd(12)} ${row.scenario.padEnd(6)} ${(row.sabotage ?? '—').padEnd(24)} ${row.detail}`);
  say(`\n${summary.scenariosCaught}/${summary.scenarios} scenarios caught every switch they list; ${summary.caught}/${summary.total} switch runs caught`);
  if (flags.json) process.stdout.write(`${JSON.stringify({ ...summary, rows }, null, 2)}\n`);
  if (signal) return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  if (summary.allCaught) return EXIT.ok;
  return summary.inconclusive ? EXIT.stackFailure : EXIT.verdictFailed;
}

export function register(program: Command): void {
  program
    .command('prove')
    .description('Prove each scenario can fail: run it on the healthy target, then with each sabotage switch it "catches"; exit 0 only if every switch is caught')
    .argument('[scenarios...]', 'scenario ids or paths to scenario files')
    .option('--all', 'prove every scenario in the catalogue')
    .option('--scenarios <dir>', 'folder of scenario files (default: the bundled catalogue, or $CHAOSCTL_SCENARIOS)')
    .option('--profile <name>', 'lay this profile over every scenario that declares it (e.g. full)')
    .option('--out <dir>', 'where the run folder with every journal and report goes', DEFAULT_OUT_DIR)
    .option('--baseline <run-folder>', 'reuse the healthy runs in this run folder (e.g. of `run --all` in the same checkout) instead of running each scenario healthy again; only an identical scenario\'s unsabotaged journal is used')
    .option('--stack <mode>', 'stack provider: local (child processes) or docker (containers through Dockerode)', 'local')
    .option('--instances <n>', 'run the target as N processes behind HAProxy (1–4), overriding each scenario\'s target.instances')
    .option('--keep-stack', 'leave a stack this command started running afterwards')
    .option('--json', 'print the proof table as JSON on stdout')
    .option('--no-dashboard', 'plain progress lines instead of the live dashboard')
    .addHelpText('after', '\nA switch is caught when the healthy run passes and the sabotaged run fails. Exit: 0 all caught · 1 some not caught · 3 a run could not finish\n')
    .action(async (refs: string[], flags: ProveFlags) => {
      try {
        process.exitCode = await prove(refs, flags);
      } catch (error) {
        printError(error);
        process.exitCode = exitCodeFor(error);
      }
    });
}
