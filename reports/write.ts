/**
 * Writes the outputs of a run to disk: per scenario the journal, its JUnit XML and its
 * HTML report; for the whole run a combined JUnit file and an index page.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JOURNAL_VERSION } from '../cli/engine/journal.ts';
import type { Journal } from '../cli/engine/journal.ts';
import { renderHtml, renderIndexHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderProveHtml, renderProveJunit, type ProofEntry } from './prove-report.ts';
import type { ProofRow } from '../cli/engine/proof.ts';

type Writer = (name: string, content: string) => Promise<void>;

async function openFolder(outDir: string): Promise<{ write: Writer; files: string[] }> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const write: Writer = async (name, content) => {
    const file = path.join(outDir, name);
    await writeFile(file, content, 'utf8');
    files.push(file);
  };
  return { write, files };
}

/** Each journal and its HTML page (and, unless told otherwise, its own JUnit file); the page of each, in order. */
async function writeScenarioFiles(journals: Journal[], write: Writer, junitPerScenario: boolean): Promise<Array<{ journal: Journal; htmlFile: string }>> {
  const baseNames = uniqueBaseNames(journals.map((j) => j.scenario.id));
  const entries: Array<{ journal: Journal; htmlFile: string }> = [];
  for (const [i, journal] of journals.entries()) {
    const base = baseNames[i] ?? `scenario-${i + 1}`;
    await write(`${base}.journal.json`, `${JSON.stringify(journal, null, 2)}\n`);
    if (junitPerScenario) await write(`${base}.junit.xml`, renderJunit([journal]));
    await write(`${base}.html`, renderHtml(journal));
    entries.push({ journal, htmlFile: `${base}.html` });
  }
  return entries;
}

/** Writes every report of the run into outDir (created if missing) and returns the paths written, in order. */
export async function writeRunOutputs(journals: Journal[], outDir: string): Promise<{ files: string[] }> {
  const { write, files } = await openFolder(outDir);
  const indexEntries = await writeScenarioFiles(journals, write, true);
  await write('junit.xml', renderJunit(journals));
  await write('index.html', renderIndexHtml(indexEntries));
  return { files };
}

/** One proof row as `prove` judged it, with the journals it was judged on. */
export interface ProofInput {
  row: ProofRow;
  title: string;
  /** The healthy run: a journal of this run, or one reused from an earlier run folder (with its file). */
  healthy?: { journal: Journal; reusedFile?: string };
  sabotaged?: Journal;
}

/**
 * Writes the outputs of `prove`: every journal and page of its runs, then the proof page
 * as index.html and the proof JUnit (one case per switch) as junit.xml. No per-scenario
 * JUnit file is written, so a CI job that collects JUnit files sees only the proof.
 */
export async function writeProveOutputs(proofs: ProofInput[], journals: Journal[], outDir: string): Promise<{ files: string[] }> {
  const { write, files } = await openFolder(outDir);
  const written = await writeScenarioFiles(journals, write, false);
  const pageOf = new Map(written.map((w) => [w.journal, w.htmlFile]));
  const run = (journal: Journal | undefined, reusedFile?: string): ProofEntry['healthy'] => {
    if (!journal) return undefined;
    const href = reusedFile === undefined ? pageOf.get(journal) : path.relative(outDir, reusedFile.replace(/\.journal\.json$/, '.html'));
    return href === undefined ? undefined : { journal, href };
  };
  const entries: ProofEntry[] = proofs.map((p) => ({
    row: p.row,
    title: p.title,
    healthy: run(p.healthy?.journal, p.healthy?.reusedFile),
    sabotaged: run(p.sabotaged),
  }));
  await write('junit.xml', renderProveJunit(entries));
  await write('index.html', renderProveHtml(entries));
  return { files };
}

/**
 * File name stems for scenario ids: characters outside [A-Za-z0-9_-] become "_", and a
 * repeated id gets "-2", "-3"… so one run never overwrites its own files.
 */
export function uniqueBaseNames(ids: string[]): string[] {
  const seen = new Map<string, number>();
  return ids.map((id) => {
    const safe = id.replace(/[^A-Za-z0-9_-]/g, '_') || 'scenario';
    const count = (seen.get(safe) ?? 0) + 1;
    seen.set(safe, count);
    return count === 1 ? safe : `${safe}-${count}`;
  });
}

/** Reads a journal file written by writeRunOutputs; throws an Error saying what is wrong with it otherwise. */
export async function readJournal(file: string): Promise<Journal> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read journal ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not a chaosctl journal: not valid JSON (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  if (!isRecord(data) || !('journalVersion' in data)) {
    throw new Error(`${file} is not a chaosctl journal: it has no "journalVersion" field`);
  }
  if (data.journalVersion !== JOURNAL_VERSION) {
    throw new Error(
      `${file} has journal version ${JSON.stringify(data.journalVersion)}, but this chaosctl reads version ${JOURNAL_VERSION} only; render it with the chaosctl version that wrote it`,
    );
  }
  const missing = missingFields(data);
  if (missing.length > 0) throw new Error(`${file} is not a complete chaosctl journal: missing or malformed ${missing.join(', ')}`);
  // The version matches and the fields every reporter walks are present; the rest is trusted as written by chaosctl.
  return data as unknown as Journal;
}

/** The top-level fields every reporter relies on that are absent or of the wrong type. */
function missingFields(data: Record<string, unknown>): string[] {
  const arrays = ['timeline', 'loads', 'faults', 'probes', 'expectations', 'events'];
  const strings = ['runId', 'status', 'startedAt', 'endedAt'];
  const missing = [
    ...strings.filter((key) => typeof data[key] !== 'string'),
    ...arrays.filter((key) => !Array.isArray(data[key])),
  ];
  const scenario = data.scenario;
  if (!isRecord(scenario) || typeof scenario.id !== 'string' || !Array.isArray(scenario.covers)) missing.push('scenario');
  const steady = data.steadyState;
  if (!isRecord(steady) || !Array.isArray(steady.before) || !Array.isArray(steady.after)) missing.push('steadyState');
  const env = data.environment;
  if (!isRecord(env) || !Array.isArray(env.sabotage)) missing.push('environment');
  if (typeof data.durationMs !== 'number') missing.push('durationMs');
  return missing;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
