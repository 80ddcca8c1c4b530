/**
 * Reviewed mutants that no scenario can or should kill, each with the reason.
 * A surviving mutant matching an entry is reported as equivalent (never
 * dropped): same file, mutator and replacement, and the same source text
 * replaced (so the entry survives edits that move the code).
 */
export interface EquivalentMutant {
  file: string;
  mutatorName: string;
  replacement: string;
  /** The exact source text the mutant replaces (the first line of it, for a span of several lines). */
  original: string;
  reason: string;
}

export const EQUIVALENT_MUTANTS: readonly EquivalentMutant[] = [];
