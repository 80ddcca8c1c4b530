/**
 * The verdict of `chaosctl prove`: a scenario catches a sabotage switch only if it
 * passes against the healthy target AND fails with the switch on. A scenario that
 * always fails proves nothing, and neither does one that always passes.
 */
import type { Journal } from './journal.ts';

export type ProofOutcome = 'caught' | 'not-caught' | 'baseline-failed' | 'inconclusive' | 'no-sabotage-declared';

export interface ProofRow {
  scenario: string;
  sabotage: string | null;
  outcome: ProofOutcome;
  /** Failed expectation ids of the sabotaged run (what caught it), or why it is not a proof. */
  detail: string;
}

/** Judges one switch from the baseline journal and the sabotaged one. */
export function judgeProof(scenario: string, sabotage: string, baseline: Journal, sabotaged: Journal): ProofRow {
  if (baseline.status !== 'passed') {
    return { scenario, sabotage, outcome: 'baseline-failed', detail: `the healthy run did not pass (${baseline.status}: ${baseline.reason ?? 'no reason'})` };
  }
  if (sabotaged.status === 'failed' || sabotaged.status === 'aborted') {
    const failed = sabotaged.expectations.filter((e) => !e.passed).map((e) => e.id);
    const steady = [...sabotaged.steadyState.before, ...sabotaged.steadyState.after].filter((c) => !c.passed).map((c) => `steady ${c.description}`);
    return { scenario, sabotage, outcome: 'caught', detail: [...failed, ...steady].join(', ') || (sabotaged.reason ?? 'failed') };
  }
  if (sabotaged.status === 'passed') return { scenario, sabotage, outcome: 'not-caught', detail: 'every expectation still held with the switch on' };
  return { scenario, sabotage, outcome: 'inconclusive', detail: `the sabotaged run ended in ${sabotaged.status}: ${sabotaged.reason ?? ''}` };
}

export interface ProofSummary {
  /** Switches caught, of every (scenario, switch) row. */
  caught: number;
  total: number;
  /** Scenarios that caught every switch they list, of the scenarios proved. */
  scenariosCaught: number;
  scenarios: number;
  allCaught: boolean;
  inconclusive: boolean;
}

export function proofSummary(rows: readonly ProofRow[]): ProofSummary {
  const caught = rows.filter((r) => r.outcome === 'caught').length;
  const ids = [...new Set(rows.map((r) => r.scenario))];
  const scenariosCaught = ids.filter((id) => rows.every((r) => r.scenario !== id || r.outcome === 'caught')).length;
  return {
    caught,
    total: rows.length,
    scenariosCaught,
    scenarios: ids.length,
    allCaught: rows.length > 0 && caught === rows.length,
    inconclusive: rows.some((r) => r.outcome === 'inconclusive'),
  };
}
