/**
 * Writes the outputs of a run to disk: per scenario the journal, its JUnit XML and its
 * HTML report; for the whole run a combined JUnit file and an index page.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Journal } from '../cli/core/journal.ts';
import { renderHistoryHtml, renderHtml, renderIndexHtml, type PageContext } from './html.ts';
import { listRuns, previousRun, trendOf, type KeptRun } from './history.ts';
import { renderJunit } from './junit.ts';
import { renderProveHtml, renderProveJunit, type ProofEntry } from './prove-report.ts';
import type { ProofRow } from '../cli/core/proof.ts';

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

/** Where earlier runs are kept, so pages can compare with them and the history page can list them. */
export interface HistoryOptions {
  /** The output folder holding every run folder (the parent of outDir). */
  outRoot?: string;
  /** Compare with this run instead of each scenario's previous one. */
  baseline?: KeptRun;
}

interface PageContexts {
  contextOf: (journal: Journal) => PageContext;
}

async function pageContexts(outDir: string, options: HistoryOptions): Promise<PageContexts> {
  if (options.outRoot === undefined && options.baseline === undefined) return { contextOf: () => ({}) };
  const history = options.outRoot === undefined ? [] : (await listRuns(options.outRoot)).filter((r) => path.resolve(r.dir) !== path.resolve(outDir));
  return {
    contextOf: (journal) => {
      const previous = previousRun(journal, history, options.baseline);
      return {
        previous: previous && { journal: previous.journal, href: path.relative(outDir, previous.file.replace(/\.journal\.json$/, '.html')) },
        trend: trendOf(journal, history),
      };
    },
  };
}

/** Rewrites the history page of the output folder: every run kept there. */
export async function writeHistoryIndex(outRoot: string): Promise<string> {
  const runs = await listRuns(outRoot);
  const file = path.join(outRoot, 'index.html');
  const entries = runs.map((r) => ({ runId: r.runId, href: path.relative(outRoot, path.join(r.dir, 'index.html')), journals: r.journals.map((k) => k.journal) }));
  await writeFile(file, renderHistoryHtml(entries), 'utf8');
  return file;
}

/** Each journal and its HTML page (and, unless told otherwise, its own JUnit file); the page of each, in order. */
async function writeScenarioFiles(journals: Journal[], write: Writer, junitPerScenario: boolean, contexts: PageContexts = { contextOf: () => ({}) }): Promise<Array<{ journal: Journal; htmlFile: string }>> {
  const baseNames = uniqueBaseNames(journals.map((j) => j.scenario.id));
  const entries: Array<{ journal: Journal; htmlFile: string }> = [];
  for (const [i, journal] of journals.entries()) {
    const base = baseNames[i] ?? `scenario-${i + 1}`;
    await write(`${base}.journal.json`, `${JSON.stringify(journal, null, 2)}\n`);
    if (junitPerScenario) await write(`${base}.junit.xml`, renderJunit([journal]));
    await write(`${base}.html`, renderHtml(journal, contexts.contextOf(journal)));
    entries.push({ journal, htmlFile: `${base}.html` });
  }
  return entries;
}

/**
 * Writes every report of the run into outDir (created if missing); returns the paths
 * written, in order, and the page and journal file of each scenario run.
 */
export async function writeRunOutputs(journals: Journal[], outDir: string, options: HistoryOptions = {}): Promise<{ files: string[]; pages: Array<{ journal: Journal; htmlFile: string }> }> {
  const contexts = await pageContexts(outDir, options);
  const { write, files } = await openFolder(outDir);
  const pages = await writeScenarioFiles(journals, write, true, contexts);
  await write('junit.xml', renderJunit(journals));
  await write('index.html', renderIndexHtml(pages));
  return { files, pages };
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
export async function writeProveOutputs(proofs: ProofInput[], journals: Journal[], outDir: string, options: HistoryOptions = {}): Promise<{ files: string[] }> {
  const contexts = await pageContexts(outDir, options);
  const { write, files } = await openFolder(outDir);
  const written = await writeScenarioFiles(journals, write, false, contexts);
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

export { readJournal } from './read-journal.ts';
