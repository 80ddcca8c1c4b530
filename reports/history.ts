/**
 * The runs kept under an output folder (each a folder of journals), read back for the
 * run history page, the comparison with an earlier run and the trend charts.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Journal } from '../cli/core/journal.ts';
import { readJournal } from './read-journal.ts';

/** One scenario run kept on disk. */
export interface KeptJournal {
  journal: Journal;
  /** The journal file. */
  file: string;
}

/** One run folder: every journal it holds, oldest first. */
export interface KeptRun {
  runId: string;
  dir: string;
  journals: KeptJournal[];
}

/** Every run folder under outRoot that holds at least one readable journal, oldest first. Unreadable journals are skipped. */
export async function listRuns(outRoot: string): Promise<KeptRun[]> {
  let names: string[];
  try {
    names = await readdir(outRoot);
  } catch {
    return [];
  }
  const runs: KeptRun[] = [];
  for (const name of names.sort()) {
    const dir = path.join(outRoot, name);
    if (!(await stat(dir).catch(() => null))?.isDirectory()) continue;
    const run = await readRunFolder(dir);
    if (run.journals.length > 0) runs.push(run);
  }
  return runs.sort((a, b) => firstStart(a).localeCompare(firstStart(b)));
}

/** The journals of one run folder, in the order they started. */
export async function readRunFolder(dir: string): Promise<KeptRun> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.journal.json'));
  const journals: KeptJournal[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    try {
      journals.push({ journal: await readJournal(file), file });
    } catch {
      // A journal of another chaosctl version, or a half-written one: not part of the history.
    }
  }
  journals.sort((a, b) => a.journal.startedAt.localeCompare(b.journal.startedAt));
  return { runId: path.basename(dir), dir, journals };
}

function firstStart(run: KeptRun): string {
  return run.journals[0]?.journal.startedAt ?? '';
}

function sameSabotage(a: Journal, b: Journal): boolean {
  return [...a.environment.sabotage].sort().join(',') === [...b.environment.sabotage].sort().join(',');
}

/**
 * The run to compare a scenario run with: in the baseline run when one is given, else
 * the latest earlier run of the same scenario with the same sabotage switches.
 */
export function previousRun(journal: Journal, history: KeptRun[], baseline?: KeptRun): KeptJournal | undefined {
  const pool = baseline ? baseline.journals : history.flatMap((r) => r.journals);
  const candidates = pool.filter(
    (k) => k.journal.scenario.id === journal.scenario.id && k.journal.runId + k.journal.startedAt !== journal.runId + journal.startedAt && (baseline !== undefined || (k.journal.startedAt < journal.startedAt && sameSabotage(k.journal, journal))),
  );
  return candidates.sort((a, b) => a.journal.startedAt.localeCompare(b.journal.startedAt)).at(-1);
}

/** The healthy runs of a scenario kept so far (plus this one), oldest first, for its trend. */
export function trendOf(journal: Journal, history: KeptRun[]): Journal[] {
  const kept = history
    .flatMap((r) => r.journals.map((k) => k.journal))
    .filter((j) => j.scenario.id === journal.scenario.id && sameSabotage(j, journal) && j.startedAt < journal.startedAt);
  return [...kept.sort((a, b) => a.startedAt.localeCompare(b.startedAt)), journal];
}

/**
 * A run named on the command line: a path to a run folder, or a run id under outRoot.
 * Undefined when neither exists.
 */
export async function findRun(ref: string, outRoot: string): Promise<KeptRun | undefined> {
  for (const dir of [path.resolve(ref), path.resolve(outRoot, ref)]) {
    if ((await stat(dir).catch(() => null))?.isDirectory()) {
      const run = await readRunFolder(dir);
      if (run.journals.length > 0) return run;
    }
  }
  return undefined;
}
