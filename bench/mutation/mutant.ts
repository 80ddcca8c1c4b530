/**
 * The vocabulary of the mutation bench: one mutant as census, sample and
 * results see it, and the key that identifies it across runs.
 */

/** 0-based line and column, as Stryker's instrumenter reports them. */
export interface Position {
  line: number;
  column: number;
}

export interface Span {
  start: Position;
  end: Position;
}

/** One mutant Stryker can make in a mutated file. */
export interface CensusMutant {
  /** Stable across runs while the file does not change: see mutantKey. */
  key: string;
  /** Path from the package root. */
  file: string;
  module: string;
  /** sha256 of the file's content when the mutant was listed. */
  fileHash: string;
  mutatorName: string;
  replacement: string;
  location: Span;
}

/** What one Stryker run said about a mutant (Stryker's status names). */
export type MutantStatus = 'Killed' | 'Survived' | 'Timeout' | 'NoCoverage' | 'CompileError' | 'RuntimeError' | 'Ignored' | 'Pending';

/** A measured mutant, as kept in the results file. */
export interface MutantRecord extends CensusMutant {
  status: MutantStatus;
  /** For a killed mutant: what failed (the scenario and its failed expectations). */
  statusReason?: string;
  /** When it was measured (ISO). */
  measuredAt: string;
  /** Wall time of its scenario runs, in milliseconds. */
  durationMs?: number;
}

/** File, mutator, replacement and place: what makes two mutants the same one. */
export function mutantKey(m: { file: string; mutatorName: string; replacement: string; location: Span }): string {
  const { start, end } = m.location;
  return `${m.file}@${start.line + 1}:${start.column}-${end.line + 1}:${end.column} ${m.mutatorName} ${JSON.stringify(m.replacement)}`;
}

/** Whether `outer` contains `inner` (Stryker's rule for a `mutate` range). */
export function spanIncludes(outer: Span, inner: Span): boolean {
  const startIn = outer.start.line < inner.start.line || (outer.start.line === inner.start.line && outer.start.column <= inner.start.column);
  const endIn = outer.end.line > inner.end.line || (outer.end.line === inner.end.line && outer.end.column >= inner.end.column);
  return startIn && endIn;
}

/** A Stryker `mutate` pattern for exactly this span of `file` (1-based lines, 0-based columns, as Stryker parses it). */
export function spanPattern(file: string, span: Span): string {
  return `${file}:${span.start.line + 1}:${span.start.column}-${span.end.line + 1}:${span.end.column}`;
}
