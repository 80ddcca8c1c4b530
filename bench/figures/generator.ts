/**
 * Figure 1: chaosctl's HTTP driver (with its latency recorder, in its own
 * process) against wrk, closed loop, on the same endpoint, connections and
 * duration. The driver is given a rate far above what the target can answer,
 * so autocannon sends as fast as answers come back, as wrk does.
 */
import type { BenchContext } from '../context.ts';
import { httpSpec, runDriverProcess } from '../driver-client.ts';
import { ratio } from '../journal-figures.ts';
import type { Figure } from '../results.ts';
import { findWrk, runWrk } from '../wrk.ts';

const CONNECTIONS = 10;
/** Far beyond the target's capacity: the driver is limited by the answers, not by its pacing. */
const UNBOUNDED_RATE = 1_000_000;
const AGREEMENT = { kind: 'between', min: 0.8, max: 1.2 } as const;

export async function measureGenerator(ctx: BenchContext): Promise<Figure[]> {
  const url = new URL('/health', ctx.endpoints.targetUrl).toString();
  const wrk = findWrk();
  const names = ['generator: throughput vs wrk', 'generator: p50 vs wrk', 'generator: p99 vs wrk', 'wrk: /health capacity', 'chaosctl driver: /health capacity'];
  if (!wrk) {
    const note = 'wrk is not installed: apt-get install wrk';
    ctx.progress(`generator: skipped, ${note}`);
    return names.map((name) => ({ name, value: null, unit: name.includes('capacity') ? 'req/s' : 'ratio', goal: { kind: 'none' }, note }));
  }
  ctx.progress(`generator: wrk, ${CONNECTIONS} connections, ${ctx.seconds} s on /health`);
  const w = await runWrk(wrk, url, CONNECTIONS, ctx.seconds);
  ctx.progress(`generator: wrk ${w.requestsPerSec.toFixed(0)} req/s, p50 ${w.p50Ms} ms, p99 ${w.p99Ms} ms, ${w.errors} errors`);
  ctx.progress(`generator: chaosctl HTTP driver, same connections and duration`);
  const d = await runDriverProcess(url, httpSpec('/health', UNBOUNDED_RATE, CONNECTIONS), ctx.seconds * 1000);
  const rate = d.requests / Math.max(0.001, (d.endedMs - d.startedMs) / 1000);
  ctx.progress(`generator: driver ${rate.toFixed(0)} req/s, p50 ${d.latency.p50} ms, p99 ${d.latency.p99} ms, ${d.errors} errors`);
  const how = `closed loop, ${CONNECTIONS} connections, ${ctx.seconds} s each, one after the other; driver in its own process; raw (uncorrected) latency`;
  return [
    { name: names[0] as string, value: ratio(rate, w.requestsPerSec), unit: 'ratio', goal: { kind: 'atLeast', value: 0.9 }, note: how },
    { name: names[1] as string, value: ratio(d.latency.p50, w.p50Ms), unit: 'ratio', goal: AGREEMENT },
    { name: names[2] as string, value: ratio(d.latency.p99, w.p99Ms), unit: 'ratio', goal: AGREEMENT },
    { name: names[3] as string, value: w.requestsPerSec, unit: 'req/s', goal: { kind: 'none' } },
    { name: names[4] as string, value: rate, unit: 'req/s', goal: { kind: 'none' } },
  ];
}
