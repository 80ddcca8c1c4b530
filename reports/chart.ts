/**
 * Inline SVG charts for the HTML report. Every chart shares one horizontal layout and
 * one clock scale, so a fault band sits at the same x in every chart of a report.
 * All functions are pure: data in, SVG markup out.
 */
import type { FaultRecord, Journal, LoadRecord, ProbeRecord, ProbeSample, TimelineEntry } from '../cli/core/journal.ts';
import { escapeMarkup } from './escape.ts';

/** Width of every chart's viewBox. */
export const CHART_WIDTH = 960;
/** Space left of the plot area, for the value axis. */
export const PLOT_LEFT = 64;
/** Space right of the plot area. */
export const PLOT_RIGHT = 20;

/** Maps a value in a domain to a coordinate. */
export type Scale = (value: number) => number;

/** A value axis: its scale and the values to label. */
export interface ValueAxis {
  scale: Scale;
  ticks: number[];
  log: boolean;
}

/** A span of the run clock during which a fault was in place, for shading. */
export interface FaultWindow {
  step: string;
  label: string;
  startMs: number;
  endMs: number;
  reverted: boolean;
  /** In place for (nearly) the whole run: shading it would paint every chart one colour, so it is named instead. */
  wholeRun?: boolean;
}

/** Straight-line mapping from domain to range; a zero-width domain maps everything to the range start. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  if (span === 0 || !Number.isFinite(span)) return () => r0;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

/** Logarithmic mapping for a positive domain; values outside it are clamped to its ends. */
export function logScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const inner = linearScale([Math.log10(domain[0]), Math.log10(domain[1])], range);
  return (value) => inner(Math.log10(Math.min(Math.max(value, domain[0]), domain[1])));
}

/** The part of the run clock the charts show, in ms: the timeline, stretched to anything recorded after it (at least 1 s). */
export function clockExtentMs(journal: Journal): number {
  const ends: number[] = [journal.timelineDurationMs];
  for (const entry of journal.timeline) ends.push(entry.endedMs ?? 0, entry.plannedAtMs + (entry.plannedForMs ?? 0));
  for (const load of journal.loads) {
    ends.push(load.endedMs);
    for (const second of load.series) ends.push(second.tMs + 1000);
  }
  for (const fault of journal.faults) ends.push(fault.injectedMs ?? 0, fault.revertedMs ?? 0);
  for (const probe of journal.probes) for (const sample of probe.samples) ends.push(sample.tMs);
  for (const sample of Object.values(journal.finalSamples ?? {})) ends.push(sample.tMs);
  return Math.max(1000, maxOf(ends.filter(Number.isFinite)));
}

/** The x coordinate of a moment on the run clock (ms), for a chart spanning `extentMs`. */
export function clockScale(extentMs: number): Scale {
  return linearScale([0, extentMs], [PLOT_LEFT, CHART_WIDTH - PLOT_RIGHT]);
}

/** Tick positions on the run clock (ms): round seconds or minutes, at most eight intervals. */
export function clockTicksMs(extentMs: number): number[] {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 43_200, 86_400];
  const extentS = extentMs / 1000;
  const step = steps.find((s) => extentS / s <= 8) ?? Math.ceil(extentS / 8);
  const ticks: number[] = [];
  for (let t = 0; t <= extentS + 1e-9; t += step) ticks.push(t * 1000);
  return ticks;
}

/** A label for a clock tick: "15s" on short runs, "2:30" on long ones. */
export function clockLabel(ms: number, extentMs: number): string {
  const totalS = Math.round(ms / 1000);
  if (extentMs <= 120_000) return `${totalS}s`;
  return `${Math.floor(totalS / 60)}:${String(totalS % 60).padStart(2, '0')}`;
}

/** A moment on the run clock for tooltips and logs: "6.25s". */
export function clockPrecise(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** A 1-2-5 step near max/count, and the ticks from 0 up to the first multiple of it at or above max. */
export function niceTicks(max: number, count = 4): number[] {
  const top = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = top / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  const n = Math.ceil(top / step - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** Ticks for a log axis covering [min, max]: whole decades, with 2 and 5 in between when there are few decades. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(min));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(max)));
  const multipliers = hi - lo > 3 ? [1] : [1, 2, 5];
  const ticks: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of multipliers) {
      const value = Number((m * 10 ** e).toPrecision(12));
      if (e === hi && m > 1) continue;
      ticks.push(value);
    }
  }
  return ticks;
}

/**
 * A latency axis over the given values. It turns logarithmic when the values span more
 * than fifty-fold (fast answers next to timeouts), so neither group is flattened.
 */
export function latencyAxis(values: number[], range: readonly [number, number]): ValueAxis {
  const usable = values.filter((v) => Number.isFinite(v) && v >= 0);
  const max = Math.max(1, maxOf(usable));
  const minPositive = minOf(usable.filter((v) => v > 0));
  if (minPositive !== undefined && max >= 50 && max / minPositive >= 50) {
    const ticks = logTicks(Math.max(minPositive, 0.1), max);
    const domain: [number, number] = [ticks[0] ?? 0.1, ticks[ticks.length - 1] ?? max];
    return { scale: logScale(domain, range), ticks, log: true };
  }
  const ticks = niceTicks(max);
  return { scale: linearScale([0, ticks[ticks.length - 1] ?? max], range), ticks, log: false };
}

/** A count axis (requests per second) from zero. */
export function countAxis(max: number, range: readonly [number, number]): ValueAxis {
  const ticks = niceTicks(Math.max(1, max));
  return { scale: linearScale([0, ticks[ticks.length - 1] ?? 1], range), ticks, log: false };
}

/** The windows in which faults were in place, from injection to the end of the revert. */
export function faultWindows(faults: FaultRecord[], extentMs: number): FaultWindow[] {
  return faults.flatMap((fault) => {
    if (fault.injectedMs === null) return [];
    const reverted = fault.revertedMs !== null;
    const endMs = fault.revertedMs ?? extentMs;
    const wholeRun = fault.injectedMs <= extentMs * 0.05 && endMs >= extentMs * 0.9;
    return [{ step: fault.step, label: fault.description, startMs: fault.injectedMs, endMs, reverted, wholeRun }];
  });
}

/** Class of a probe sample, for colour: 2xx, 5xx, any other status, or no status (error or timeout). */
export function sampleClass(sample: ProbeSample): 'ok' | 'server' | 'other' | 'none' {
  // sql, metrics and simulator probes have no HTTP status: a number read is a good sample.
  if (sample.status === null) return sample.ok ? 'ok' : 'none';
  if (sample.status >= 200 && sample.status < 300) return 'ok';
  if (sample.status >= 500 && sample.status < 600) return 'server';
  return 'other';
}

/** An SVG path through the points, in order: "M x y L x y …"; a null breaks the line, leaving a gap. */
export function linePath(points: ReadonlyArray<readonly [number, number] | null>): string {
  const parts: string[] = [];
  let penDown = false;
  for (const point of points) {
    if (point === null) {
      penDown = false;
      continue;
    }
    parts.push(`${penDown ? 'L' : 'M'}${num(point[0])} ${num(point[1])}`);
    penDown = true;
  }
  return parts.join(' ');
}

/** A coordinate as written in SVG: at most one decimal. */
export function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Milliseconds as a short axis label: "250ms", "2s". */
export function msLabel(ms: number): string {
  if (ms >= 1000) return `${Number((ms / 1000).toPrecision(3))}s`;
  return `${Number(ms.toPrecision(3))}ms`;
}

/** A count as a short axis label: "800", "1.5k". */
export function countLabel(value: number): string {
  return value >= 1000 ? `${Number((value / 1000).toPrecision(3))}k` : String(value);
}

// ---------------------------------------------------------------------------
// SVG building blocks

type AttrValue = string | number;

function attrs(record: Record<string, AttrValue>): string {
  return Object.entries(record)
    .map(([key, value]) => ` ${key}="${typeof value === 'number' ? num(value) : escapeMarkup(value)}"`)
    .join('');
}

function svgFrame(height: number, label: string, className: string, body: string): string {
  const frame = attrs({ class: `chart ${className}`, viewBox: `0 0 ${CHART_WIDTH} ${height}`, role: 'img', 'aria-label': label });
  return `<svg${frame}><title>${escapeMarkup(label)}</title>${body}</svg>`;
}

function text(x: number, y: number, content: string, className: string, anchor: 'start' | 'middle' | 'end' = 'start'): string {
  return `<text${attrs({ x, y, class: className, 'text-anchor': anchor })}>${escapeMarkup(content)}</text>`;
}

/** Horizontal grid lines with labels left of the plot. */
function valueGrid(axis: ValueAxis, label: (v: number) => string): string {
  return axis.ticks
    .map((tick) => {
      const y = axis.scale(tick);
      const line = `<line${attrs({ x1: PLOT_LEFT, x2: CHART_WIDTH - PLOT_RIGHT, y1: y, y2: y, class: 'grid' })}/>`;
      return line + text(PLOT_LEFT - 8, y + 4, label(tick), 'tick', 'end');
    })
    .join('');
}

/** Clock tick marks, and labels unless turned off, along the bottom of a plot that spans top..bottom. */
function clockAxis(extentMs: number, top: number, bottom: number, labels = true): string {
  const x = clockScale(extentMs);
  const ticks = clockTicksMs(extentMs)
    .map((ms) => {
      const line = `<line${attrs({ x1: x(ms), x2: x(ms), y1: top, y2: bottom, class: 'grid grid-v' })}/>`;
      return labels ? line + text(x(ms), bottom + 16, clockLabel(ms, extentMs), 'tick', 'middle') : line;
    })
    .join('');
  const baseline = `<line${attrs({ x1: PLOT_LEFT, x2: CHART_WIDTH - PLOT_RIGHT, y1: bottom, y2: bottom, class: 'axis' })}/>`;
  return ticks + baseline;
}

/**
 * Shaded bands for fault windows, spanning top..bottom, each labelled with its step at
 * the top when there is room. A fault in place for the whole run is left out: the page
 * names it above the charts instead.
 */
export function faultBands(windows: FaultWindow[], extentMs: number, top: number, bottom: number): string {
  const x = clockScale(extentMs);
  return windows
    .filter((w) => !w.wholeRun)
    .map((w) => {
      const x0 = x(w.startMs);
      const width = Math.max(1, x(w.endMs) - x0);
      const tip = `${w.step}: ${w.label} (${clockPrecise(w.startMs)}–${w.reverted ? clockPrecise(w.endMs) : 'not reverted'})`;
      const cls = w.reverted ? 'fault-band' : 'fault-band fault-open';
      const rect = `<rect${attrs({ class: cls, 'data-step': w.step, x: x0, y: top, width, height: bottom - top })}><title>${escapeMarkup(tip)}</title></rect>`;
      const room = Math.floor((width - 6) / CHAR_WIDTH);
      const label = room >= 3 ? text(x0 + 3, top + 11, fitText(w.step, room), 'band-label') : '';
      return rect + label;
    })
    .join('');
}

/** Rough width of one character of a 10.5 px label, for fitting labels without measuring. */
const CHAR_WIDTH = 6.6;
/** The same for the 12 px bold lane labels (wide enough for DejaVu Sans Bold, the widest common fallback). */
const LANE_CHAR_WIDTH = 7.8;

function fitText(value: string, maxChars: number): string {
  return value.length <= maxChars ? value : `${value.slice(0, Math.max(1, maxChars - 1))}…`;
}

function emptyNote(top: number, bottom: number, message: string): string {
  return text((PLOT_LEFT + CHART_WIDTH - PLOT_RIGHT) / 2, (top + bottom) / 2, message, 'empty-note', 'middle');
}

// ---------------------------------------------------------------------------
// Timeline

const LANE_HEIGHT = 40;
const LANE_TOP = 10;

/** Lanes of the timeline: one per step, the planned window outlined, the actual one filled; fault windows shaded. */
export function timelineChart(journal: Journal, extentMs: number): string {
  const lanes = journal.timeline;
  const bottom = LANE_TOP + Math.max(1, lanes.length) * LANE_HEIGHT + 6;
  const height = bottom + 26;
  const windows = faultWindows(journal.faults, extentMs);
  const body = [
    faultBands(windows, extentMs, LANE_TOP - 6, bottom),
    clockAxis(extentMs, LANE_TOP - 6, bottom),
    lanes.length === 0 ? emptyNote(LANE_TOP, bottom, 'no timeline steps ran') : '',
    ...lanes.map((entry, i) => timelineLane(journal, entry, LANE_TOP + i * LANE_HEIGHT, extentMs)),
    journal.abort ? abortMarker(journal.abort.atMs, journal.abort.id, extentMs, LANE_TOP - 6, bottom) : '',
  ].join('');
  return svgFrame(height, `Timeline of ${journal.scenario.id} on the run clock`, 'timeline-chart', body);
}

/** Where a stop condition ended the timeline: a red rule across every lane, labelled. */
function abortMarker(atMs: number, id: string, extentMs: number, top: number, bottom: number): string {
  const x = clockScale(extentMs)(Math.min(atMs, extentMs));
  const label = fitText(`aborted: ${id}`, 28);
  const anchor = x > (PLOT_LEFT + CHART_WIDTH - PLOT_RIGHT) / 2 ? 'end' : 'start';
  return `<line class="abort-rule" x1="${num(x)}" x2="${num(x)}" y1="${top}" y2="${bottom}"></line>${text(anchor === 'end' ? x - 4 : x + 4, top + 10, label, 'abort-label', anchor)}`;
}

function timelineLane(journal: Journal, entry: TimelineEntry, top: number, extentMs: number): string {
  const x = clockScale(extentMs);
  const fault = entry.kind === 'fault' ? journal.faults.find((f) => f.step === entry.step) : undefined;
  const load = entry.kind === 'load' ? journal.loads.find((l) => l.step === entry.step) : undefined;
  const plannedEnd = entry.plannedForMs === null ? extentMs : entry.plannedAtMs + entry.plannedForMs;
  const actual = fault
    ? { start: fault.injectedMs, end: fault.revertedMs ?? (fault.injectedMs === null ? null : extentMs) }
    : { start: entry.startedMs, end: entry.endedMs ?? (entry.startedMs === null ? null : extentMs) };
  // Each lane: its label on a line of its own, then the bars; the label starts at the
  // bar and is moved left (or shortened) so it never leaves the chart or meets another.
  const barTop = top + 18;
  const barHeight = LANE_HEIGHT - 22;
  const planned = `<rect${attrs({ class: 'lane-planned', x: x(entry.plannedAtMs), y: barTop, width: Math.max(1, x(plannedEnd) - x(entry.plannedAtMs)), height: barHeight, rx: 3 })}/>`;
  const actualBar =
    actual.start === null || actual.end === null
      ? ''
      : `<rect${attrs({ class: `lane-${entry.kind}`, 'data-step': entry.step, x: x(actual.start), y: barTop, width: Math.max(3, x(actual.end) - x(actual.start)), height: barHeight, rx: 3 })}><title>${escapeMarkup(`${entry.step}: ${clockPrecise(actual.start)}–${clockPrecise(actual.end)}`)}</title></rect>`;
  const problem = entry.error ?? fault?.injectError ?? fault?.revertError;
  const action = entry.kind === 'action' ? journal.actions?.find((a) => a.step === entry.step) : undefined;
  const what = fault ? fault.description : load ? describeLoad(load) : action ? `${action.description}${action.outcome === null ? '' : ` → ${action.outcome}`}` : entry.kind;
  const plotWidth = CHART_WIDTH - PLOT_RIGHT - PLOT_LEFT;
  const maxChars = Math.floor(plotWidth / LANE_CHAR_WIDTH);
  const label = fitText(`${entry.step} · ${what}${problem === undefined ? '' : ` · ✕ ${problem}`}`, maxChars);
  const startX = x(actual.start ?? entry.plannedAtMs);
  const labelX = Math.max(PLOT_LEFT, Math.min(startX, CHART_WIDTH - PLOT_RIGHT - label.length * LANE_CHAR_WIDTH));
  const labelClass = problem === undefined ? 'lane-label' : 'lane-label lane-error';
  return planned + actualBar + text(labelX, top + 13, label, labelClass);
}

/** A load step in words, as its driver described it. */
export function describeLoad(load: LoadRecord): string {
  return load.description;
}

// ---------------------------------------------------------------------------
// Load: throughput and latency per second

const LOAD_PANEL_1: readonly [number, number] = [24, 124];
const LOAD_PANEL_2: readonly [number, number] = [150, 250];

/** How to draw a load's errors: the share of them the scenario required (drawn as expected, not red). */
export interface LoadChartOptions {
  requiredShare?: number;
}

/**
 * Two panels on the run clock: requests per second (errors in red, required outcomes in
 * grey), then p95 and max latency per second, or a note when the load does not time replies.
 */
export function loadChart(load: LoadRecord, extentMs: number, windows: FaultWindow[], options: LoadChartOptions = {}): string {
  const requiredShare = Math.min(1, Math.max(0, options.requiredShare ?? 0));
  const measured = load.latency.count > 0;
  const x = clockScale(extentMs);
  const [top1, bottom1] = LOAD_PANEL_1;
  const [top2, bottom2] = LOAD_PANEL_2;
  const series = load.series;
  const counts = countAxis(maxOf(series.map((s) => s.requests)), [bottom1, top1]);
  const latency = latencyAxis(series.filter((s) => s.requests > 0).flatMap((s) => [s.p95Ms, s.maxMs]), [bottom2, top2]);
  const bars = series
    .map((s) => {
      const x0 = x(s.tMs) + 0.5;
      const width = Math.max(0.5, x(s.tMs + 1000) - x(s.tMs) - 1);
      const all = `<rect${attrs({ class: 'bar-requests', x: x0, y: counts.scale(s.requests), width, height: bottom1 - counts.scale(s.requests) })}/>`;
      // The required part of the errors is drawn grey at the bottom, the real errors red above it.
      const expected = s.errors * requiredShare;
      const real = s.errors - expected;
      const expectedBar = expected > 0 ? `<rect${attrs({ class: 'bar-expected', x: x0, y: counts.scale(expected), width, height: bottom1 - counts.scale(expected) })}/>` : '';
      const realTop = counts.scale(s.errors);
      const errors = real > 0 ? `<rect${attrs({ class: 'bar-errors', x: x0, y: realTop, width, height: counts.scale(expected) - realTop })}/>` : '';
      return all + expectedBar + errors;
    })
    .join('');
  // A second without responses has no latency: the lines break there instead of dropping to zero.
  const mid = (tMs: number): number => x(tMs + 500);
  const p95 = linePath(series.map((s) => (s.requests === 0 ? null : ([mid(s.tMs), latency.scale(s.p95Ms)] as const))));
  const max = linePath(series.map((s) => (s.requests === 0 ? null : ([mid(s.tMs), latency.scale(s.maxMs)] as const))));
  const dots = series
    .filter((s) => s.requests > 0)
    .map((s) => `<circle${attrs({ class: 'dot-p95', cx: mid(s.tMs), cy: latency.scale(s.p95Ms), r: 2.2 })}/>`)
    .join('');
  const empty = series.length === 0;
  const body = [
    faultBands(windows, extentMs, top1, bottom1),
    faultBands(windows, extentMs, top2, bottom2),
    valueGrid(counts, countLabel),
    measured ? valueGrid(latency, msLabel) : '',
    clockAxis(extentMs, top1, bottom1, false),
    clockAxis(extentMs, top2, bottom2),
    text(PLOT_LEFT, top1 - 9, requiredShare > 0 ? 'Requests per second (errors in red, required outcomes in grey)' : 'Requests per second (errors in red)', 'panel-title'),
    text(PLOT_LEFT, top2 - 9, measured ? `Latency per second: p95 (line), max (dotted)${latency.log ? ', log scale' : ''}` : 'Latency: not measured', 'panel-title'),
    empty
      ? emptyNote(top1, bottom1, 'no per-second data')
      : series.every((s) => s.requests === 0) && load.requests > 0
        ? emptyNote(top1, bottom1, `${load.requests} sent; not counted per second (replies not checked)`)
        : bars,
    empty
      ? emptyNote(top2, bottom2, 'no per-second data')
      : measured
        ? `<path${attrs({ class: 'line-max', d: max })}/><path${attrs({ class: 'line-p95', d: p95 })}/>${dots}`
        : emptyNote(top2, bottom2, 'not measured: this load does not time its replies'),
  ].join('');
  return svgFrame(bottom2 + 26, `Throughput and latency of load ${load.step}`, 'load-chart', body);
}

// ---------------------------------------------------------------------------
// Probe: sample latency over time

const PROBE_PLOT: readonly [number, number] = [12, 200];

/** A level an expectation judges a probe's value against, drawn as a dashed line. */
export interface Threshold {
  value: number;
  label: string;
}

/**
 * Every sample of a probe over time, fault windows shaded behind. A probe whose samples
 * carry a value is plotted by that value, the thing its expectations judge, with their
 * thresholds; one whose samples carry only an answer is plotted by its response time,
 * coloured by status. The samples decide, so no probe kind is named here.
 */
export function probeChart(probe: ProbeRecord, extentMs: number, windows: FaultWindow[], thresholds: Threshold[] = []): string {
  const samples = [...probe.samples].sort((a, b) => a.tMs - b.tMs);
  if (samples.some((s) => s.value !== undefined)) return probeValueChart(probe, samples, extentMs, windows, thresholds);
  const x = clockScale(extentMs);
  const [top, bottom] = PROBE_PLOT;
  const axis = latencyAxis(samples.map((s) => s.latencyMs), [bottom, top]);
  const trace = samples.length > 1 ? `<path${attrs({ class: 'probe-trace', d: linePath(samples.map((s) => [x(s.tMs), axis.scale(s.latencyMs)] as const)) })}/>` : '';
  const marks = samples.map((s) => sampleMark(s, x(s.tMs), axis.scale(s.latencyMs))).join('');
  const body = [
    faultBands(windows, extentMs, top, bottom),
    valueGrid(axis, msLabel),
    clockAxis(extentMs, top, bottom),
    text(PLOT_LEFT + 4, top + 12, `Response time of each sample${axis.log ? ' (log scale)' : ''}`, 'panel-title'),
    samples.length === 0 ? emptyNote(top, bottom, 'no samples') : trace + marks,
  ].join('');
  return svgFrame(bottom + 26, `Latency of probe ${probe.name} samples over time`, 'probe-chart', body);
}

function probeValueChart(probe: ProbeRecord, samples: ProbeSample[], extentMs: number, windows: FaultWindow[], thresholds: Threshold[]): string {
  const x = clockScale(extentMs);
  const [top, bottom] = PROBE_PLOT;
  const values = samples.flatMap((s) => (s.value === undefined ? [] : [s.value]));
  const axis = countAxis(maxOf([...values, ...thresholds.map((t) => t.value)]), [bottom, top]);
  // A value stays what it was until the next sample read one: a step line, broken where a read failed.
  const points: Array<readonly [number, number] | null> = [];
  let previous: number | undefined;
  for (const s of samples) {
    if (s.value === undefined) {
      points.push(null);
      previous = undefined;
      continue;
    }
    if (previous !== undefined) points.push([x(s.tMs), axis.scale(previous)] as const);
    points.push([x(s.tMs), axis.scale(s.value)] as const);
    previous = s.value;
  }
  const trace = `<path${attrs({ class: 'value-trace', d: linePath(points) })}/>`;
  const marks = samples.map((s) => valueMark(s, x(s.tMs), s.value === undefined ? bottom : axis.scale(s.value))).join('');
  const lines = thresholds
    .map((t) => {
      const y = axis.scale(t.value);
      return `<line${attrs({ class: 'threshold', x1: PLOT_LEFT, x2: CHART_WIDTH - PLOT_RIGHT, y1: y, y2: y })}/>${text(CHART_WIDTH - PLOT_RIGHT - 4, y - 4, t.label, 'threshold-label', 'end')}`;
    })
    .join('');
  const body = [
    faultBands(windows, extentMs, top, bottom),
    valueGrid(axis, countLabel),
    clockAxis(extentMs, top, bottom),
    text(PLOT_LEFT + 4, top + 12, `Value read by ${probe.name}`, 'panel-title'),
    lines,
    trace + marks,
  ].join('');
  return svgFrame(bottom + 26, `Value of probe ${probe.name} over time`, 'probe-chart probe-value-chart', body);
}

function valueMark(sample: ProbeSample, cx: number, cy: number): string {
  const what = sample.value === undefined ? (sample.error ?? 'no value read') : `value ${sample.value}`;
  const tip = `<title>${escapeMarkup(`${clockPrecise(sample.tMs)} · ${what}`)}</title>`;
  if (sample.value === undefined) {
    const d = `M${num(cx - 3)} ${num(cy - 3)} L${num(cx + 3)} ${num(cy + 3)} M${num(cx - 3)} ${num(cy + 3)} L${num(cx + 3)} ${num(cy - 3)}`;
    return `<path${attrs({ class: 'pt pt-none', d })}>${tip}</path>`;
  }
  return `<circle${attrs({ class: 'pt pt-value', cx, cy, r: 2.6 })}>${tip}</circle>`;
}

function sampleMark(sample: ProbeSample, cx: number, cy: number): string {
  const cls = sampleClass(sample);
  const what = sample.status === null ? (sample.error ?? 'no response') : String(sample.status);
  const tip = `<title>${escapeMarkup(`${clockPrecise(sample.tMs)} · ${what} · ${sample.latencyMs.toFixed(1)} ms`)}</title>`;
  if (cls === 'none') {
    const d = `M${num(cx - 3)} ${num(cy - 3)} L${num(cx + 3)} ${num(cy + 3)} M${num(cx - 3)} ${num(cy + 3)} L${num(cx + 3)} ${num(cy - 3)}`;
    return `<path${attrs({ class: 'pt pt-none', d })}>${tip}</path>`;
  }
  return `<circle${attrs({ class: `pt pt-${cls}`, cx, cy, r: 3 })}>${tip}</circle>`;
}

// ---------------------------------------------------------------------------
// Small numeric helpers that stay safe on large arrays (no spread into Math.max).

function maxOf(values: number[]): number {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max;
}

function minOf(values: number[]): number | undefined {
  let min: number | undefined;
  for (const v of values) if (min === undefined || v < min) min = v;
  return min;
}


// ---------------------------------------------------------------------------
// Trend: key figures over the kept runs of a scenario

/** One small panel of the trend chart: a figure's value per run, oldest first (null: not measured in that run). */
export interface TrendSeries {
  label: string;
  values: Array<number | null>;
  format: (value: number) => string;
}

const TREND_PANEL_WIDTH = 290;
const TREND_GAP = 30;
const TREND_TOP = 22;
const TREND_BOTTOM = 100;

/** Three small panels side by side, one per figure, each point one kept run; the last (this run) is marked. */
export function trendChart(series: TrendSeries[], runLabels: string[]): string {
  const panels = series
    .map((s, i) => {
      const left = i * (TREND_PANEL_WIDTH + TREND_GAP) + 10;
      const right = left + TREND_PANEL_WIDTH;
      const x = linearScale([0, Math.max(1, s.values.length - 1)], [left + 8, right - 8]);
      const measured = s.values.filter((v): v is number => v !== null);
      const axis = countAxis(maxOf(measured), [TREND_BOTTOM, TREND_TOP + 6]);
      const top = axis.ticks[axis.ticks.length - 1] ?? 1;
      const path = linePath(s.values.map((v, j) => (v === null ? null : ([x(j), axis.scale(v)] as const))));
      const dots = s.values
        .map((v, j) => {
          if (v === null) return '';
          const tip = `<title>${escapeMarkup(`${runLabels[j] ?? ''}: ${s.format(v)}`)}</title>`;
          return `<circle${attrs({ class: j === s.values.length - 1 ? 'trend-now' : 'trend-dot', cx: x(j), cy: axis.scale(v), r: j === s.values.length - 1 ? 3.6 : 2.4 })}>${tip}</circle>`;
        })
        .join('');
      const last = s.values.at(-1);
      const title = `${s.label}: ${last === null || last === undefined ? 'not measured' : s.format(last)} now`;
      const frame = `<line${attrs({ class: 'axis', x1: left, x2: right, y1: TREND_BOTTOM, y2: TREND_BOTTOM })}/>`;
      const scale = text(right, TREND_TOP + 4, `max ${s.format(top)}`, 'tick', 'end');
      const body = measured.length === 0 ? text((left + right) / 2, (TREND_TOP + TREND_BOTTOM) / 2, 'not measured', 'empty-note', 'middle') : `<path${attrs({ class: 'trend-line', d: path })}/>${dots}`;
      return text(left, TREND_TOP - 8, title, 'panel-title') + scale + frame + body;
    })
    .join('');
  const footer = text(10, TREND_BOTTOM + 18, `${runLabels.length} kept run${runLabels.length === 1 ? '' : 's'}, oldest left; the large dot is this run`, 'tick');
  return svgFrame(TREND_BOTTOM + 26, 'Trend of key figures over kept runs', 'trend-chart', panels + footer);
}
