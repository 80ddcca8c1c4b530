/**
 * Results of the mutation bench: folding Stryker's progress lines into
 * records, merging them across runs, and the tallies and report made from
 * them. Pure functions; bench/mutation/main.ts does the IO.
 */
import type { EquivalentMutant } from './equivalents.ts';
import type { MutationModule } from './modules.ts';
import { mutantKey, type CensusMutant, type MutantRecord, type MutantStatus, type Span } from './mutant.ts';
import type { ProgressLine } from './progress-reporter.ts';
import { HARNESS_FAULT, SCENARIO_TIMEOUT } from './scenario-command.ts';

/**
 * Records for the progress lines that match a census mutant (Stryker reports
 * 1-based lines and columns to reporters; the census keeps 0-based ones).
 * Lines left out: harness faults (measured again next time) and mutants not in
 * the census (the file changed since). A scenario the command cut off is a timeout.
 */
export function recordsFromProgress(lines: readonly ProgressLine[], census: readonly CensusMutant[], root: string): MutantRecord[] {
  const byKey = new Map(census.map((m) => [m.key, m]));
  const out: MutantRecord[] = [];
  let previousAt: number | undefined;
  for (const line of lines) {
    const at = Date.parse(line.at);
    const durationMs = previousAt === undefined ? undefined : at - previousAt;
    previousAt = at;
    if (line.statusReason?.includes(HARNESS_FAULT)) continue;
    const file = relativeTo(root, line.fileName);
    const location = {
      start: { line: line.location.start.line - 1, column: line.location.start.column - 1 },
      end: { line: line.location.end.line - 1, column: line.location.end.column - 1 },
    };
    const mutant = byKey.get(mutantKey({ file, mutatorName: line.mutatorName, replacement: line.replacement, location }));
    if (!mutant) continue;
    out.push({
      ...mutant,
      // The command reports a hung scenario through a non-zero exit, which Stryker calls killed.
      status: line.statusReason?.includes(SCENARIO_TIMEOUT) ? 'Timeout' : (line.status as MutantStatus),
      ...(line.statusReason ? { statusReason: line.statusReason.trim().slice(0, 2000) } : {}),
      measuredAt: line.at,
      ...(durationMs !== undefined ? { durationMs } : {}),
    });
  }
  return out;
}

function relativeTo(root: string, fileName: string): string {
  const normalized = fileName.replaceAll('\\', '/');
  const marker = '/target/';
  // Stryker reports sandbox paths or paths under the package root; the mutated files all live under target/.
  const at = normalized.lastIndexOf(marker);
  if (at >= 0) return normalized.slice(at + 1);
  return normalized.startsWith(`${root}/`) ? normalized.slice(root.length + 1) : normalized;
}

/** Later measurements of the same mutant replace earlier ones; the rest are kept. Sorted by key. */
export function mergeRecords(previous: readonly MutantRecord[], fresh: readonly MutantRecord[]): MutantRecord[] {
  const byKey = new Map<string, MutantRecord>();
  for (const r of [...previous, ...fresh]) byKey.set(r.key, r);
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The source text `span` covers in `lines` (only its first line when it spans several). */
export function spanText(lines: readonly string[], span: Span): string {
  const first = lines[span.start.line] ?? '';
  return span.end.line === span.start.line ? first.slice(span.start.column, span.end.column) : first.slice(span.start.column);
}

/** How the report counts a record. */
export type Verdict = 'killed' | 'survived' | 'equivalent' | 'timeout' | 'error';

export interface JudgedRecord extends MutantRecord {
  verdict: Verdict;
  /** For an equivalent: the reviewed reason. */
  equivalentReason?: string;
}

/**
 * Each record still valid for the current census (same file content), with its
 * verdict. A survivor on the reviewed list is equivalent; compile and runtime
 * errors of the instrumented code count as errors, outside the score.
 */
export function judge(
  records: readonly MutantRecord[],
  census: readonly CensusMutant[],
  equivalents: readonly EquivalentMutant[],
  sourceText: (file: string, span: Span) => string,
): { judged: JudgedRecord[]; stale: number } {
  const current = new Set(census.map((m) => m.key + m.fileHash));
  const judged: JudgedRecord[] = [];
  let stale = 0;
  for (const r of records) {
    if (!current.has(r.key + r.fileHash)) {
      stale++;
      continue;
    }
    const text = sourceText(r.file, r.location);
    const equivalent = equivalents.find((e) => e.file === r.file && e.mutatorName === r.mutatorName && e.replacement === r.replacement && text === e.original);
    judged.push({ ...r, ...verdictOf(r.status, equivalent) });
  }
  return { judged, stale };
}

function verdictOf(status: MutantStatus, equivalent: EquivalentMutant | undefined): { verdict: Verdict; equivalentReason?: string } {
  if (status === 'Killed') return { verdict: 'killed' };
  if (status === 'Timeout') return { verdict: 'timeout' };
  if (status === 'Survived' || status === 'NoCoverage') return equivalent ? { verdict: 'equivalent', equivalentReason: equivalent.reason } : { verdict: 'survived' };
  if (status === 'Ignored' && equivalent) return { verdict: 'equivalent', equivalentReason: equivalent.reason };
  return { verdict: 'error' };
}

export interface Tally {
  killed: number;
  survived: number;
  equivalent: number;
  timeout: number;
  error: number;
  /** Census size of the group (measured or not). */
  population: number;
}

/** Detected (killed or timed out) over all non-equivalent measured mutants; null when none was measured. */
export function score(t: Tally): number | null {
  const counted = t.killed + t.timeout + t.survived;
  return counted === 0 ? null : (t.killed + t.timeout) / counted;
}

function emptyTally(): Tally {
  return { killed: 0, survived: 0, equivalent: 0, timeout: 0, error: 0, population: 0 };
}

export interface Summary {
  total: Tally;
  modules: { name: string; tally: Tally }[];
  clauses: { clause: string; modules: string[]; tally: Tally }[];
}

/** Tallies per module and per seed clause (a clause counts the mutants of every module that carries it). */
export function summarize(judged: readonly JudgedRecord[], census: readonly CensusMutant[], modules: readonly MutationModule[]): Summary {
  const moduleTallies = new Map(modules.map((m) => [m.name, emptyTally()]));
  const total = emptyTally();
  for (const m of census) {
    total.population++;
    const t = moduleTallies.get(m.module);
    if (t) t.population++;
  }
  for (const r of judged) {
    total[r.verdict]++;
    const t = moduleTallies.get(r.module);
    if (t) t[r.verdict]++;
  }
  const clauseNames = [...new Set(modules.flatMap((m) => m.clauses))].sort(compareClauses);
  const clauses = clauseNames.map((clause) => {
    const carriers = modules.filter((m) => m.clauses.includes(clause)).map((m) => m.name);
    const tally = emptyTally();
    for (const name of carriers) {
      const t = moduleTallies.get(name) ?? emptyTally();
      for (const k of Object.keys(tally) as (keyof Tally)[]) tally[k] += t[k];
    }
    return { clause, modules: carriers, tally };
  });
  return { total, modules: modules.map((m) => ({ name: m.name, tally: moduleTallies.get(m.name) ?? emptyTally() })), clauses };
}

/** L1 < L2 < L10 < B4 < C1 …: natural order inside a letter, sections (§) last. */
function compareClauses(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function percent(t: Tally): string {
  const s = score(t);
  return s === null ? '—' : `${(s * 100).toFixed(0)} %`;
}

function row(name: string, t: Tally): string {
  return `| ${name} | ${t.killed} | ${t.survived} | ${t.equivalent} | ${t.timeout} | ${t.error} | ${t.killed + t.survived + t.equivalent + t.timeout + t.error} / ${t.population} | ${percent(t)} |`;
}

const HEADER = ['| | killed | survived | equivalent | timeout | error | measured / census | score |', '|---|---|---|---|---|---|---|---|'];

/** Where a record sits, as `file:line` (1-based). */
export function place(r: Pick<MutantRecord, 'file' | 'location'>): string {
  return `${r.file}:${r.location.start.line + 1}`;
}

/** The report: tallies per module and per clause, then every survivor and every equivalent with its place and mutator. */
export function renderReport(summary: Summary, judged: readonly JudgedRecord[], meta: { generatedAt: string; stale: number }): string {
  const lines: string[] = [
    '# Mutation results of the scenario catalogue',
    '',
    `Generated ${meta.generatedAt} by \`npm run mutation\` from every measurement kept in the results file` +
      (meta.stale > 0 ? ` (${meta.stale} older measurements left out: their file changed since).` : '.'),
    'Score = (killed + timeout) / (killed + survived + timeout); equivalents and errors are outside it.',
    '',
    '## Per module',
    '',
    ...HEADER,
    ...summary.modules.map((m) => row(m.name, m.tally)),
    row('**all**', summary.total),
    '',
    '## Per seed clause',
    '',
    ...HEADER,
    ...summary.clauses.map((c) => row(`${c.clause} (${c.modules.join(', ')})`, c.tally)),
    '',
    '## Survivors',
    '',
  ];
  const survivors = judged.filter((r) => r.verdict === 'survived');
  lines.push(...(survivors.length ? survivors.map((r) => `- ${place(r)} ${r.mutatorName} → \`${oneLine(r.replacement)}\` (${r.module})`) : ['none']));
  lines.push('', '## Equivalent', '');
  const equivalents = judged.filter((r) => r.verdict === 'equivalent');
  lines.push(...(equivalents.length ? equivalents.map((r) => `- ${place(r)} ${r.mutatorName} → \`${oneLine(r.replacement)}\`: ${r.equivalentReason ?? ''}`) : ['none']));
  const errors = judged.filter((r) => r.verdict === 'error');
  if (errors.length) lines.push('', '## Errors (outside the score)', '', ...errors.map((r) => `- ${place(r)} ${r.mutatorName}: ${r.status}`));
  return `${lines.join('\n')}\n`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return (flat.length > 80 ? `${flat.slice(0, 77)}...` : flat).replaceAll('`', "'");
}
