/**
 * A scenario run's key figures next to an earlier run's, with regressions marked. The
 * same rows feed the HTML page, `chaosctl compare` in the terminal, and its --json.
 */
import { formatMs } from '../cli/core/duration.ts';
import type { Journal } from '../cli/core/journal.ts';
import { FIGURE_WORSE, keyFigures, type KeyFigures } from './figures.ts';

/** Relative change beyond which a worse figure counts as a regression (timings are noisy). */
export const REGRESSION_THRESHOLD = 0.2;

export interface ComparisonRow {
  figure: keyof KeyFigures;
  label: string;
  before: number | null;
  after: number | null;
  /** after − before, when both exist. */
  delta: number | null;
  /** after is worse than before by more than the threshold (or a count got worse at all). */
  regression: boolean;
  improvement: boolean;
}

const ROWS: Array<[keyof KeyFigures, string]> = [
  ['expectationsPassed', 'expectations passed'],
  ['p95Ms', 'p95 latency (corrected)'],
  ['errorRate', 'error rate'],
  ['errors', 'errors'],
  ['requiredOutcomes', 'required outcomes'],
  ['recoverMs', 'time to recover'],
  ['requests', 'requests'],
  ['durationMs', 'duration'],
];

/** The figures that only count things: any change for the worse is a regression, however small. */
const EXACT: ReadonlySet<keyof KeyFigures> = new Set(['expectationsPassed', 'errors']);

export function compareRuns(before: Journal, after: Journal): ComparisonRow[] {
  const a = keyFigures(before);
  const b = keyFigures(after);
  return ROWS.map(([figure, label]) => {
    const x = a[figure];
    const y = b[figure];
    const delta = x === null || y === null ? null : y - x;
    const worse = FIGURE_WORSE[figure];
    const grew = (from: number, to: number): boolean => (EXACT.has(figure) ? to > from : to > from && to - from > Math.max(Math.abs(from) * REGRESSION_THRESHOLD, minimumChange(figure)));
    const regression = x !== null && y !== null && worse !== 'none' && (worse === 'up' ? grew(x, y) : grew(y, x));
    const improvement = x !== null && y !== null && worse !== 'none' && (worse === 'up' ? grew(y, x) : grew(x, y));
    return { figure, label, before: x, after: y, delta, regression, improvement };
  });
}

/** Changes smaller than this are noise whatever the ratio (2 ms → 3 ms is not a regression). */
function minimumChange(figure: keyof KeyFigures): number {
  if (figure === 'p95Ms' || figure === 'recoverMs') return 5;
  if (figure === 'errorRate') return 0.001;
  return 0;
}

/** A figure for people: ms as durations, rates as percentages. */
export function formatFigure(figure: keyof KeyFigures, value: number | null): string {
  if (value === null) return '—';
  if (figure === 'p95Ms' || figure === 'recoverMs' || figure === 'durationMs') return formatMs(value);
  if (figure === 'errorRate') return `${(value * 100).toFixed(value < 0.1 ? 2 : 1)}%`;
  return String(value);
}

/** The comparison as fixed-width lines for the terminal (no colour: the words say it). */
export function comparisonLines(id: string, before: Journal, after: Journal, rows: ComparisonRow[]): string[] {
  const head = `${id}: ${before.runId} (${before.status}) → ${after.runId} (${after.status})`;
  const lines = rows.map((r) => {
    const mark = r.regression ? 'REGRESSION' : r.improvement ? 'better' : '';
    return `  ${r.label.padEnd(26)} ${formatFigure(r.figure, r.before).padStart(10)} → ${formatFigure(r.figure, r.after).padEnd(10)} ${mark}`.trimEnd();
  });
  return [head, ...lines];
}
