/**
 * The live dashboard, drawn from DashboardState. Finished scenarios (verdict and every
 * expectation) go to Ink's <Static> area: written once, above the live part, and never
 * erased, so the ending stays on screen. The live part is built as a list of one-line
 * entries that must fit the terminal: panels are dropped (log, probes, loads) and the
 * step list is shortened before anything wraps or scrolls, and lines are truncated to
 * the width, so Ink never has to clear the screen.
 */
import { Box, Static, Text } from 'ink';
import { formatMs } from '../core/duration.ts';
import type { DashboardState, LoadView, ProbeView, ScenarioSummary, StepView } from './state.ts';

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of values scaled to their own maximum. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(...values, 0);
  if (max <= 0) return values.map(() => BARS[0]).join('');
  return values.map((v) => BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))]).join('');
}

/** A progress bar of `width` cells. */
export function progressBar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'gray';

/** One screen line: its text and how to colour it. */
export interface Line {
  text: string;
  color?: Colour;
  bold?: boolean;
}

const STATUS_COLOR = { passed: 'green', failed: 'red', aborted: 'red', error: 'yellow', interrupted: 'yellow' } as const;
const STEP_MARK: Record<StepView['state'], string> = { pending: '·', running: '▶', done: '✓', failed: '✗' };

function stepLine(step: StepView): Line {
  const active = step.state === 'running';
  const color: Colour = step.state === 'failed' ? 'red' : active ? (step.kind === 'fault' ? 'red' : 'cyan') : step.state === 'done' ? 'green' : 'gray';
  const at = step.atMs === undefined ? '' : `${(step.atMs / 1000).toFixed(1).padStart(5)}s `;
  const what = step.description ? ` — ${step.description}` : '';
  return { text: `${STEP_MARK[step.state]} ${at}${step.kind.padEnd(6)} ${step.name}${what}${active && step.kind === 'fault' ? ' IN PLACE' : ''}`, color };
}

function loadLine(load: LoadView): Line {
  const p95 = load.lastP95 > 0 ? `p95 ${formatMs(load.lastP95).padStart(9)}` : 'p95   not timed';
  const required = load.required > 0 ? ` (+${load.required} required)` : '';
  return { text: `${load.step.padEnd(16)} ${String(load.lastRate).padStart(5)}/s  ${p95}  ${sparkline(load.p95History.slice(-16))}  ${load.errors - load.required} not 2xx of ${load.requests}${required}` };
}

function probeLine(probe: ProbeView): Line {
  const last = probe.last;
  const seen = !last ? '—' : last.value !== undefined ? `= ${last.value}` : last.status !== null ? String(last.status) : (last.error ?? 'error');
  const latency = last && last.value === undefined ? ` ${formatMs(last.latencyMs)}` : '';
  const judged = probe.conditions.length > 0 ? `  [${probe.conditions.join('; ')}]` : '';
  return { text: `${probe.name.padEnd(16)} ${seen.padStart(6)}${latency}${judged}`, color: last === null ? 'gray' : last.ok ? undefined : 'yellow' };
}

/** The lines of one finished scenario: its verdict, then each expectation. */
export function summaryLines(summary: ScenarioSummary): Line[] {
  const head: Line = { text: `${summary.status.toUpperCase().padEnd(11)} ${summary.id} in ${formatMs(summary.durationMs)}${summary.reason ? ` — ${summary.reason}` : ''}`, color: STATUS_COLOR[summary.status], bold: true };
  return [head, ...summary.expectations.map((e): Line => ({ text: `  ${e.passed ? '✓' : '✗'} ${e.clause} ${e.id}: ${e.observed}`, color: e.passed ? 'green' : 'red' }))];
}

/**
 * The live part as lines that fit `rows` (one row is kept free: Ink clears the whole
 * screen once its output is as tall as the terminal). Panels go in this order when
 * space runs out: the log, the probes, the loads; then the steps are cut around the
 * running one.
 */
export function liveLines(state: DashboardState, now: number, rows: number): Line[] {
  const budget = Math.max(3, rows - 1);
  if (state.scenarioId === null || state.phase === 'done') {
    if (state.stack.length === 0 && state.finished.length > 0) return [];
    const lines: Line[] = [{ text: state.finished.length === 0 ? '▶ starting the stack…' : '▶ preparing the next scenario…', color: 'cyan', bold: true }];
    return [...lines, ...state.stack.map((l): Line => ({ text: `  ${l}`, color: 'gray' }))].slice(0, budget);
  }
  const elapsed = state.timelineStartedAt === null ? 0 : now - state.timelineStartedAt;
  const fraction = state.timelineMs > 0 ? elapsed / state.timelineMs : 0;
  const header: Line[] = [
    { text: `▶ ${state.scenarioId}  ${state.title}  [${state.phase}]`, color: 'cyan', bold: true },
    { text: `${progressBar(fraction, 30)} ${formatMs(Math.min(elapsed, state.timelineMs))} / ${formatMs(state.timelineMs)}` },
  ];
  const steps = state.steps.map(stepLine);
  const loads = Object.values(state.loads).map(loadLine);
  const probes = Object.values(state.probes).map(probeLine);
  const log = state.log.map((text): Line => ({ text, color: 'gray' }));
  const panels = [steps, loads, probes, log];
  const size = (): number => header.length + panels.reduce((n, p) => n + p.length, 0);
  for (let drop = panels.length - 1; size() > budget && drop >= 1; drop--) panels[drop] = [];
  if (size() > budget) panels[0] = shortenSteps(state.steps, budget - header.length);
  return [...header, ...panels.flat()];
}

/** The steps around the running ones, with a count of those left out. */
function shortenSteps(steps: StepView[], room: number): Line[] {
  if (room <= 0) return [];
  const firstActive = Math.max(0, steps.findIndex((s) => s.state === 'running' || s.state === 'pending'));
  const start = Math.max(0, Math.min(firstActive - 1, steps.length - (room - 1)));
  const shown = steps.slice(start, start + room - 1).map(stepLine);
  const hidden = steps.length - shown.length;
  return hidden > 0 ? [...shown, { text: `  … ${hidden} more step${hidden === 1 ? '' : 's'}`, color: 'gray' }] : shown;
}

/** One line; the live part truncates (it must fit), the ending wraps (nothing of it may be cut). */
function LineView({ line, columns, color, wrap }: { line: Line; columns: number; color: boolean; wrap: boolean }) {
  const text = wrap || line.text.length <= columns ? line.text : `${line.text.slice(0, Math.max(1, columns - 1))}…`;
  return (
    <Text color={color ? line.color : undefined} bold={color ? line.bold : undefined} wrap={wrap ? 'wrap' : 'truncate-end'}>
      {text}
    </Text>
  );
}

export interface DashboardProps {
  state: DashboardState;
  now: number;
  /** Terminal size; the live part fits in it. */
  rows?: number;
  columns?: number;
  /** false with NO_COLOR: not one colour or bold escape is written. */
  color?: boolean;
}

export function Dashboard({ state, now, rows = 24, columns = 80, color = true }: DashboardProps) {
  const width = Math.max(20, columns - 1);
  const ended = state.finished.flatMap((summary, i) => summaryLines(summary).map((line, j) => ({ key: `${i}-${j}`, line })));
  return (
    <>
      <Static items={ended}>
        {(item) => <LineView key={item.key} line={item.line} columns={width} color={color} wrap />}
      </Static>
      <Box flexDirection="column">
        {liveLines(state, now, rows).map((line, i) => (
          <LineView key={i} line={line} columns={width} color={color} wrap={false} />
        ))}
      </Box>
    </>
  );
}
