/**
 * Reviewed mutants that no scenario can or should kill, each with the reason.
 * A surviving mutant matching an entry is reported as equivalent (never
 * dropped): same file, mutator and replacement, on a line whose source
 * contains `line` (so the entry survives edits that move the line).
 */
export interface EquivalentMutant {
  file: string;
  mutatorName: string;
  replacement: string;
  /** A piece of the mutated line's source text. */
  line: string;
  reason: string;
}

export const EQUIVALENT_MUTANTS: readonly EquivalentMutant[] = [];
