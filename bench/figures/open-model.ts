/**
 * Figure 2: the HTTP driver as an open model against vegeta, side by side at
 * 100 and 1000 req/s on /health, then with the target frozen (SIGSTOP) for one
 * second in the middle of a 1000 req/s run: the driver's p99 corrected for
 * coordinated omission against vegeta's (which sends on schedule whatever the
 * answers do, so needs no correction). The driver runs in its own process.
 */
import type { BenchContext } from '../context.ts';
import { httpSpec, runDriverProcess } from '../driver-client.ts';
import { ratio } from '../journal-figures.ts';
import type { Figure, Goal } from '../results.ts';
import { resolveVegeta, runVegeta } from '../vegeta.ts';

const CONNECTIONS = 10;
const RATES = [100, 1000] as const;
const WITHIN_1_5X: Goal = { kind: 'between', min: 1 / 1.5, max: 1.5 };
const FREEZE = { rate: 1000, seconds: 6, atMs: 2000, forMs: 1000 } as const;

function names(): string[] {
  return [
    ...RATES.flatMap((r) => [`open model ${r}/s: achieved / planned`, `open model ${r}/s: p50 vs vegeta`, `open model ${r}/s: p99 vs vegeta`]),
    'frozen 1 s: corrected p99 vs vegeta p99',
    'frozen 1 s: vegeta p99',
    'frozen 1 s: chaosctl corrected p99',
  ];
}

export async function measureOpenModel(ctx: BenchContext): Promise<Figure[]> {
  const url = new URL('/health', ctx.endpoints.targetUrl).toString();
  const vegeta = await resolveVegeta(ctx.progress);
  if ('missing' in vegeta) {
    ctx.progress(`open-model: skipped, ${vegeta.missing}`);
    return names().map((name) => ({ name, value: null, unit: name.includes('vegeta p99') || name.includes('corrected p99') ? 'ms' : 'ratio', goal: { kind: 'none' }, note: vegeta.missing }));
  }
  const figures: Figure[] = [];
  for (const rate of RATES) {
    if (ctx.signal.aborted) break;
    ctx.progress(`open-model: vegeta at ${rate}/s for ${ctx.seconds} s`);
    const v = await runVegeta(vegeta.bin, url, rate, ctx.seconds, ctx.workDir);
    ctx.progress(`open-model: vegeta p50 ${v.p50Ms.toFixed(2)} ms, p99 ${v.p99Ms.toFixed(2)} ms, success ${v.success}`);
    ctx.progress(`open-model: chaosctl driver at ${rate}/s over ${CONNECTIONS} connections for ${ctx.seconds} s`);
    const d = await runDriverProcess(url, httpSpec('/health', rate, CONNECTIONS), ctx.seconds * 1000);
    ctx.progress(`open-model: driver ${d.achievedRate} req/s, p50 ${d.latency.p50} ms, p99 ${d.latency.p99} ms (corrected p99 ${d.correctedLatency.p99} ms)`);
    figures.push(
      {
        name: `open model ${rate}/s: achieved / planned`,
        value: d.achievedRate / rate,
        unit: 'ratio',
        goal: { kind: 'between', min: 0.98, max: 1.02 },
        note: `${d.achievedRate} req/s of ${rate}; vegeta ${v.rate.toFixed(1)}`,
      },
      { name: `open model ${rate}/s: p50 vs vegeta`, value: ratio(d.latency.p50, v.p50Ms), unit: 'ratio', goal: WITHIN_1_5X, note: `${d.latency.p50} vs ${v.p50Ms.toFixed(3)} ms` },
      { name: `open model ${rate}/s: p99 vs vegeta`, value: ratio(d.latency.p99, v.p99Ms), unit: 'ratio', goal: WITHIN_1_5X, note: `${d.latency.p99} vs ${v.p99Ms.toFixed(3)} ms` },
    );
  }
  if (ctx.signal.aborted) return figures;

  const freeze = async (): Promise<void> => {
    await new Promise((r) => setTimeout(r, FREEZE.atMs));
    const target = ctx.stack.service('target');
    await target.pause();
    try {
      await new Promise((r) => setTimeout(r, FREEZE.forMs));
    } finally {
      await target.resume();
    }
  };
  ctx.progress(`open-model: vegeta at ${FREEZE.rate}/s for ${FREEZE.seconds} s, target frozen ${FREEZE.forMs} ms at ${FREEZE.atMs} ms`);
  const [v] = await Promise.all([runVegeta(vegeta.bin, url, FREEZE.rate, FREEZE.seconds, ctx.workDir), freeze()]);
  ctx.progress(`open-model: vegeta p99 ${v.p99Ms.toFixed(1)} ms`);
  ctx.progress(`open-model: chaosctl driver, same run and freeze`);
  let frozen: Promise<void> = Promise.resolve();
  const d = await runDriverProcess(url, httpSpec('/health', FREEZE.rate, CONNECTIONS), FREEZE.seconds * 1000, () => (frozen = freeze()));
  await frozen;
  ctx.progress(`open-model: driver corrected p99 ${d.correctedLatency.p99} ms (raw ${d.latency.p99} ms)`);
  figures.push(
    {
      name: 'frozen 1 s: corrected p99 vs vegeta p99',
      value: ratio(d.correctedLatency.p99, v.p99Ms),
      unit: 'ratio',
      goal: { kind: 'between', min: 0.9, max: 1.1 },
      note: `raw p99 ${d.latency.p99} ms`,
    },
    { name: 'frozen 1 s: vegeta p99', value: v.p99Ms, unit: 'ms', goal: { kind: 'none' } },
    { name: 'frozen 1 s: chaosctl corrected p99', value: d.correctedLatency.p99, unit: 'ms', goal: { kind: 'none' } },
  );
  return figures;
}
