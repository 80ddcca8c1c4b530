/** A metrics probe: scrape the target's Prometheus endpoint and sum the series of one metric. */
import { toMs } from '../../engine/duration.ts';
import type { ProbeSample } from '../../engine/journal.ts';
import type { MetricsProbeSpec } from '../../engine/scenario-schema.ts';
import { getText, isTimeout, roundMs } from './http.ts';
import { sinceRunStart, type ProbeContext } from './types.ts';

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (comments and blank lines skipped). */
export function parsePrometheus(text: string): Series[] {
  const series: Series[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    const value = match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3]);
    series.push({ name: match[1] as string, labels, value });
  }
  return series;
}

/** Sums every series of `metric` whose labels include all of `labels`; null when none matches. */
export function sumMetric(series: readonly Series[], metric: string, labels: Record<string, string>): number | null {
  const matching = series.filter((s) => s.name === metric && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return matching.length === 0 ? null : matching.reduce((sum, s) => sum + s.value, 0);
}

export async function sampleMetrics(spec: MetricsProbeSpec, ctx: ProbeContext): Promise<ProbeSample> {
  const timeoutMs = toMs(spec.timeout);
  const tMs = ctx.clock.now();
  try {
    const { status, body } = await getText(new URL(spec.path, ctx.endpoints.targetUrl), timeoutMs);
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    if (status !== 200) return { tMs, ok: false, status, latencyMs, error: `metrics answered ${status}` };
    const value = sumMetric(parsePrometheus(body), spec.metric, spec.labels);
    if (value === null) return { tMs, ok: false, status, latencyMs, error: `no series ${spec.metric} matching ${JSON.stringify(spec.labels)}` };
    return { tMs, ok: true, status, latencyMs, value: spec.since === 'run' ? sinceRunStart(ctx, spec.name, value) : value };
  } catch (error) {
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    return { tMs, ok: false, status: null, latencyMs, error: isTimeout(error) ? `timeout after ${timeoutMs} ms` : (error as Error).message };
  }
}
