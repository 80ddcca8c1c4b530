/**
 * The bench's vocabulary and its pure output side: a figure with its goal, the
 * verdict on that goal, the table printed at the end and the results file.
 */
import os from 'node:os';

/** What a figure must reach: at least / at most a value, or lie within a band. */
export type Goal =
  | { kind: 'atLeast'; value: number }
  | { kind: 'atMost'; value: number }
  | { kind: 'between'; min: number; max: number }
  | { kind: 'none' };

/** One measured number. value null: not measured, and note says why. */
export interface Figure {
  name: string;
  value: number | null;
  unit: string;
  goal: Goal;
  /** Why it was skipped, what bounds it (a simulated limit), or how it was measured. */
  note?: string;
}

/** A figure as written to bench/results.json: the goal in words and its verdict. */
export interface FigureResult {
  name: string;
  value: number | null;
  unit: string;
  goal: string;
  /** null when nothing was measured or no goal applies. */
  met: boolean | null;
  note?: string;
}

export interface BenchResults {
  machine: string;
  date: string;
  figures: FigureResult[];
}

/** Whether value meets goal; null when there is no value or no goal. */
export function evaluateGoal(value: number | null, goal: Goal): boolean | null {
  if (value === null || !Number.isFinite(value)) return null;
  switch (goal.kind) {
    case 'atLeast':
      return value >= goal.value;
    case 'atMost':
      return value <= goal.value;
    case 'between':
      return value >= goal.min && value <= goal.max;
    case 'none':
      return null;
  }
}

function num(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return String(Math.round(value * 1000) / 1000);
}

/** The goal in words, with the figure's unit: "≥ 0.9", "≤ 20 ms", "0.8 – 1.2". */
export function describeGoal(goal: Goal, unit: string): string {
  const u = unit && unit !== 'ratio' ? ` ${unit}` : '';
  switch (goal.kind) {
    case 'atLeast':
      return `≥ ${num(goal.value)}${u}`;
    case 'atMost':
      return `≤ ${num(goal.value)}${u}`;
    case 'between':
      return `${num(goal.min)} – ${num(goal.max)}${u}`;
    case 'none':
      return '—';
  }
}

export function toResult(figure: Figure): FigureResult {
  return {
    name: figure.name,
    value: figure.value === null ? null : Math.round(figure.value * 1000) / 1000,
    unit: figure.unit,
    goal: describeGoal(figure.goal, figure.unit),
    met: evaluateGoal(figure.value, figure.goal),
    ...(figure.note ? { note: figure.note } : {}),
  };
}

export function buildResults(machine: string, date: Date, figures: readonly Figure[]): BenchResults {
  return { machine, date: date.toISOString(), figures: figures.map(toResult) };
}

/** The machine in one line: cores, CPU model, memory, OS, Node. */
export function describeMachine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  const gib = Math.round(os.totalmem() / 2 ** 30);
  return `${cpus.length} cores (${model}), ${gib} GiB, ${os.type()} ${os.release()}, Node ${process.versions.node}`;
}

function verdict(met: boolean | null, value: number | null): string {
  if (value === null) return 'skipped';
  if (met === null) return '—';
  return met ? 'yes' : 'NO';
}

/** A plain-text table: figure, value, goal, met?; notes listed under it. */
export function formatTable(results: readonly FigureResult[]): string {
  const rows = results.map((r) => [r.name, r.value === null ? '—' : `${num(r.value)}${r.unit && r.unit !== 'ratio' ? ` ${r.unit}` : ''}`, r.goal, verdict(r.met, r.value)]);
  const header = ['figure', 'value', 'goal', 'met?'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const notes = results.filter((r) => r.note);
  if (notes.length > 0) out.push('', ...notes.map((r) => `${r.name}: ${r.note}`));
  return out.join('\n');
}

/** The same table as Markdown, for docs/performance.md. */
export function formatMarkdownTable(results: readonly FigureResult[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const rows = results.map(
    (r) => `| ${esc(r.name)} | ${r.value === null ? '—' : `${num(r.value)}${r.unit && r.unit !== 'ratio' ? ` ${r.unit}` : ''}`} | ${esc(r.goal)} | ${verdict(r.met, r.value)} |`,
  );
  return ['| figure | value | goal | met? |', '|---|---|---|---|', ...rows].join('\n');
}
