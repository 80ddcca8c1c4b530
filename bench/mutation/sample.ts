/**
 * Drawing a sample that fits a time budget.
 *
 * Stryker takes what to mutate as source ranges, and a range brings every
 * mutant inside it. So the sample is drawn as seeds: a seed is a mutant whose
 * span is at most MAX_SEED_LINES lines, picked at random (seeded, so a run can
 * be repeated), modules taken in turn so each gets its share. The range given to
 * Stryker is the widest short span holding the seed (so a mutant and the ones
 * nested in its expression are drawn together, whichever is picked first), and
 * every census mutant inside that range is measured with it.
 * A seed whose span holds an already measured mutant is passed over, so no
 * mutant is measured twice. Whole-function mutants (BlockStatement and other
 * spans longer than MAX_SEED_LINES) are never seeds, and so stay unmeasured.
 */
import { spanIncludes, spanPattern, type CensusMutant } from './mutant.ts';
import { seededRandom } from '../../cli/core/seeded-random.ts';

export const MAX_SEED_LINES = 2;

export interface SampleRequest {
  census: readonly CensusMutant[];
  /** Keys already measured (and still valid): never drawn again. */
  measured: ReadonlySet<string>;
  budgetMs: number;
  /** Expected cost of one mutant of `file`. */
  estimateMs: (file: string) => number;
  seed: number;
  /** Upper bound on the number of mutants, whatever the budget. */
  maxMutants?: number;
}

export interface Sample {
  /** Stryker `mutate` patterns, one per seed. */
  patterns: string[];
  /** Every mutant those patterns bring in. */
  mutants: CensusMutant[];
  estimatedMs: number;
}


function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function isShort(m: CensusMutant): boolean {
  return m.location.end.line - m.location.start.line + 1 <= MAX_SEED_LINES;
}

/** The short mutant of the same file with the widest span holding `seed`'s (the seed itself when none is wider). */
function widest(seed: CensusMutant, census: readonly CensusMutant[]): CensusMutant {
  // Spans of one syntax tree are nested or apart, so the longest span holding the seed's is the outermost.
  const size = (m: CensusMutant): number => (m.location.end.line - m.location.start.line) * 10_000 + m.location.end.column - m.location.start.column;
  let best = seed;
  for (const m of census) {
    if (m.file === seed.file && isShort(m) && spanIncludes(m.location, seed.location) && size(m) > size(best)) best = m;
  }
  return best;
}

export function drawSample(request: SampleRequest): Sample {
  const random = seededRandom(request.seed);
  const taken = new Set(request.measured);
  const byModule = new Map<string, CensusMutant[]>();
  for (const m of request.census) {
    if (!isShort(m)) continue;
    byModule.set(m.module, [...(byModule.get(m.module) ?? []), m]);
  }
  const queues = shuffled([...byModule.keys()].sort(), random).map((module) => shuffled(byModule.get(module) ?? [], random));

  const sample: Sample = { patterns: [], mutants: [], estimatedMs: 0 };
  const max = request.maxMutants ?? Number.POSITIVE_INFINITY;
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const queue of queues) {
      let seed = queue.shift();
      while (seed && taken.has(seed.key)) seed = queue.shift();
      if (!seed) continue;
      progressed = true;
      const pick = widest(seed, request.census);
      const inside = request.census.filter((m) => m.file === pick.file && spanIncludes(pick.location, m.location));
      if (inside.some((m) => taken.has(m.key))) continue;
      const cost = inside.reduce((sum, m) => sum + request.estimateMs(m.file), 0);
      if (sample.estimatedMs + cost > request.budgetMs || sample.mutants.length + inside.length > max) continue;
      for (const m of inside) taken.add(m.key);
      sample.patterns.push(spanPattern(pick.file, pick.location));
      sample.mutants.push(...inside);
      sample.estimatedMs += cost;
    }
  }
  return sample;
}
