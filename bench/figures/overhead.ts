/**
 * Figure 3: what the `chaosctl run` process costs while it drives 100 req/s of
 * HTTP and 50 Telegram updates/s (bench/scenarios/BENCH-OVERHEAD.yaml, through
 * the real CLI). CPU is measured over the timeline only (start-up, which compiles
 * the TypeScript sources, is left out); peak RSS is the process's high-water mark.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChaosctl } from '../cli-run.ts';
import type { BenchContext } from '../context.ts';
import { loadOf } from '../journal-figures.ts';
import { cpuPercentBetween, sampleProcess } from '../proc-sampler.ts';
import type { ProcSample } from '../proc-sampler.ts';
import type { Figure } from '../results.ts';

const SCENARIOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');
const TIMELINE_MS = 20_000;
/** Left out at both ends of the timeline: loads starting and stopping. */
const EDGE_MS = 2_000;

export async function measureOverhead(ctx: BenchContext): Promise<Figure[]> {
  const seen: { sampler?: ReturnType<typeof sampleProcess>; timelineStart?: number } = {};
  ctx.progress('overhead: chaosctl run BENCH-OVERHEAD (100 req/s HTTP + 50 Telegram updates/s for 20 s)');
  const run = await runChaosctl(ctx, ['BENCH-OVERHEAD', '--scenarios', SCENARIOS], 'overhead', {
    onSpawn: (pid) => (seen.sampler = sampleProcess(pid)),
    onLine: (line) => {
      if (seen.timelineStart === undefined && /steady state before: .* ok$/.test(line)) seen.timelineStart = Date.now();
    },
  });
  const samples: ProcSample[] = seen.sampler?.stop() ?? [];
  const ticks = seen.sampler?.ticksPerSecond ?? 100;
  const start = seen.timelineStart;
  const cpu = start === undefined ? null : cpuPercentBetween(samples, start + EDGE_MS, start + TIMELINE_MS - EDGE_MS, ticks);
  const peakMb = samples.length ? Math.max(...samples.map((s) => s.hwmKb)) / 1024 : null;
  const inTimeline = start === undefined ? [] : samples.filter((s) => s.atMs >= start && s.atMs <= start + TIMELINE_MS);
  const timelineMb = inTimeline.length ? Math.max(...inTimeline.map((s) => s.rssKb)) / 1024 : null;
  const journal = run.journals[0];
  const http = journal ? loadOf(journal, 'health-load') : undefined;
  const telegram = journal ? loadOf(journal, 'start-stream') : undefined;
  ctx.progress(`overhead: exit ${run.exitCode}, CPU ${cpu?.toFixed(1)} % of a core, peak RSS ${peakMb?.toFixed(0)} MB`);
  const driven = `drove ${http?.achievedRate ?? '?'} req/s HTTP (p50 ${http?.latency.p50 ?? '?'} ms, p99 ${http?.latency.p99 ?? '?'} ms) and ${telegram?.achievedRate ?? '?'} updates/s; run ${journal?.status ?? 'no journal'}`;
  return [
    { name: 'harness CPU at 100 req/s + 50 updates/s', value: cpu, unit: '% of a core', goal: { kind: 'atMost', value: 10 }, note: driven },
    { name: 'harness peak RSS', value: peakMb, unit: 'MB', goal: { kind: 'atMost', value: 150 }, note: 'high-water mark of the whole process, start-up included' },
    { name: 'harness RSS during the load', value: timelineMb, unit: 'MB', goal: { kind: 'none' } },
    { name: 'in-run HTTP p99 at 100 req/s (shared event loop)', value: http?.latency.p99 ?? null, unit: 'ms', goal: { kind: 'none' } },
  ];
}
