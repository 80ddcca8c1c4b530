/** A metrics probe: scrape the target's Prometheus endpoint and sum the series of one metric. */
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import { z } from 'zod';
import { duration, interval, name, targetInstance, urlPath } from '../../core/scenario-schema.ts';
import { getText, isTimeout, roundMs } from './http.ts';
import { cadence, noSeriesAtRunStart, sinceRunStart, type ProbeContext, type ProbeDriver } from './types.ts';

/** A number scraped from the target's GET /metrics: the sum of every series of the metric matching the labels. */
export const MetricsProbeSchema = z
  .object({
    name,
    kind: z.literal('metrics'),
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: 'a Prometheus metric name' }),
    labels: z.record(z.string(), z.string()).default({}).describe('Only series with these label values count.'),
    path: urlPath.default('/metrics'),
    instance: targetInstance('Scrape only this target instance (1-based). Without it, when the target runs as several instances, each one is scraped and the values added (counters of the whole service).'),
    since: z
      .enum(['run', 'absolute'])
      .default('absolute')
      .describe('absolute: as scraped; run: minus the value at the first sample of this run (counters of a target process that outlives one run).'),
    every: interval.default('1s'),
    timeout: duration.default('2s'),
  })
  .strict();
export type MetricsProbeSpec = z.output<typeof MetricsProbeSchema>;

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

/**
 * Which base URLs one sample scrapes: the named instance; every instance when
 * the target runs as several (HAProxy would hand each scrape to a different
 * one, and a counter read that way jumps between processes); else the target.
 */
export function scrapeUrls(spec: Pick<MetricsProbeSpec, 'instance'>, endpoints: ProbeContext['endpoints']): string[] {
  const instances = endpoints.targetInstanceUrls ?? [endpoints.targetUrl];
  if (spec.instance === undefined) return instances;
  const url = instances[spec.instance - 1];
  if (url === undefined) throw new Error(`target instance ${spec.instance} does not exist: the target runs ${instances.length}`);
  return [url];
}

export async function sampleMetrics(spec: MetricsProbeSpec, ctx: ProbeContext): Promise<ProbeSample> {
  const timeoutMs = toMs(spec.timeout);
  const tMs = ctx.clock.now();
  try {
    const urls = scrapeUrls(spec, ctx.endpoints);
    const answers = await Promise.all(urls.map((base) => getText(new URL(spec.path, base), timeoutMs)));
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    const bad = answers.find((a) => a.status !== 200);
    if (bad) return { tMs, ok: false, status: bad.status, latencyMs, error: `metrics answered ${bad.status}` };
    const status = 200;
    // The sum over instances; an instance without the series adds nothing, but one of them must have it.
    const values = answers.map((a) => sumMetric(parsePrometheus(a.body), spec.metric, spec.labels));
    const value = values.every((v) => v === null) ? null : values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
    if (value === null) {
      // A labelled counter appears at its first increment: absent at the run's first answer means
      // it stood at 0 then, so the first increment during the run counts (instead of becoming the baseline).
      if (spec.since === 'run') noSeriesAtRunStart(ctx, spec.name);
      return { tMs, ok: false, status, latencyMs, error: `no series ${spec.metric} matching ${JSON.stringify(spec.labels)}` };
    }
    return { tMs, ok: true, status, latencyMs, value: spec.since === 'run' ? sinceRunStart(ctx, spec.name, value) : value };
  } catch (error) {
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    return { tMs, ok: false, status: null, latencyMs, error: isTimeout(error) ? `timeout after ${timeoutMs} ms` : (error as Error).message };
  }
}

export const metricsProbeDriver: ProbeDriver<typeof MetricsProbeSchema> = {
  schema: MetricsProbeSchema,
  describe(spec) {
    const labels = Object.entries(spec.labels).map(([k, v]) => `${k}="${v}"`).join(',');
    return `metric ${spec.metric}${labels ? `{${labels}}` : ''} from ${spec.path} ${cadence(spec)}`;
  },
  sample: sampleMetrics,
};
