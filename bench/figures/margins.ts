/**
 * Figures 4 and 5: the target's margin inside the seed's thresholds, and where
 * the bot's time goes, read from the journals of real `chaosctl run`s of
 * catalogue scenarios (copies with bench overrides in a temporary folder).
 * A figure bounded by a simulated limit is reported against that limit.
 */
import path from 'node:path';
import type { Journal } from '../../cli/core/journal.ts';
import { runChaosctl } from '../cli-run.ts';
import type { BenchContext } from '../context.ts';
import { bucketPercentile, deliveryRate, firstStatusAfter, lastProbeValue, loadOf } from '../journal-figures.ts';
import type { Figure } from '../results.ts';
import { replaceStep, writeCopies } from '../scenario-copies.ts';
import type { ScenarioCopy, ScenarioDoc } from '../scenario-copies.ts';

/** The Telegram simulator's global limit at scale 1: a token bucket of 30, refilled 30 a second. */
const TELEGRAM_GLOBAL = { perSecond: 30, burst: 30 } as const;
/** L3's histogram buckets up to the seed's threshold, read as probes in the bench copy. */
const L3_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1] as const;
const L5_REMINDERS = 10_000;
const L5_SCALE = 20;

const floodOff = (doc: ScenarioDoc): void =>
  replaceStep(doc, 'telegram-limits-x10', { name: 'telegram-limits-off', at: '0s', fault: { driver: 'sim', sim: 'telegram', action: 'flood', floodEnabled: false } });

const COPIES = {
  L1: { id: 'L1', from: 'L1' },
  'L1-NOFLOOD': { id: 'L1-NOFLOOD', from: 'L1', override: floodOff },
  'L3-BUCKETS': {
    id: 'L3-BUCKETS',
    from: 'L3',
    override: (doc) => {
      doc.probes = [...(doc.probes ?? []), ...L3_BUCKETS.map((le) => ({ name: `reads-le-${le * 1000}ms`, kind: 'metrics', metric: 'bot_analytics_read_duration_seconds_bucket', labels: { le: String(le) } }))];
    },
  },
  L5: { id: 'L5', from: 'L5' },
  L9: { id: 'L9', from: 'L9' },
  L11: {
    id: 'L11',
    from: 'L11',
    // The catalogue's L11 ends when PostgreSQL is started again, so its probes never see the first
    // 200 after the return: 4 s more timeline give "PostgreSQL back → first 200" its samples.
    override: (doc) => {
      doc.timeline = { ...doc.timeline, duration: '25s' };
    },
  },
} satisfies Record<string, ScenarioCopy>;

/** Journals already run in this bench, by copy id: bot-time reuses margins' L1 without flood limit. */
const journalsOf = new WeakMap<BenchContext, Map<string, Journal>>();

async function runCopies(ctx: BenchContext, copies: readonly ScenarioCopy[], label: string): Promise<Map<string, Journal>> {
  const cache = journalsOf.get(ctx) ?? new Map<string, Journal>();
  journalsOf.set(ctx, cache);
  const todo = copies.filter((c) => !cache.has(c.id));
  if (todo.length > 0) {
    const dir = path.join(ctx.workDir, 'scenarios');
    await writeCopies(dir, todo);
    ctx.progress(`${label}: chaosctl run ${todo.map((c) => c.id).join(' ')} (copies in ${dir})`);
    const run = await runChaosctl(ctx, [...todo.map((c) => c.id), '--scenarios', dir], label, {
      onLine: (line) => {
        if (/^(PASS|FAIL|ERROR|INTERRUPTED) /.test(line)) ctx.progress(`${label}: ${line}`);
      },
    });
    for (const journal of run.journals) cache.set(journal.scenario.id, journal);
  }
  return cache;
}

function statusNote(journal: Journal | undefined): string {
  if (!journal) return 'no journal (the run did not reach this scenario)';
  return `run ${journal.status}${journal.reason ? ` (${journal.reason})` : ''}`;
}

export async function measureMargins(ctx: BenchContext): Promise<Figure[]> {
  const runs = await runCopies(ctx, Object.values(COPIES), 'margins');
  const figures: Figure[] = [];

  const l1 = runs.get('L1-NOFLOOD');
  figures.push({
    name: 'L1 /start burst reply p95, flood limit off',
    value: l1 ? (loadOf(l1, 'start-burst')?.latency.p95 ?? null) : null,
    unit: 'ms',
    goal: { kind: 'atMost', value: 200 },
    note: `seed < 2 s; ${statusNote(l1)}`,
  });
  const l1Limited = runs.get('L1');
  const scaledBurst = TELEGRAM_GLOBAL.burst * 10;
  figures.push({
    name: 'L1 /start burst reply p95, limit ×10 on',
    value: l1Limited ? (loadOf(l1Limited, 'start-burst')?.latency.p95 ?? null) : null,
    unit: 'ms',
    goal: { kind: 'atMost', value: 200 },
    note: `×10 is a bucket of ${scaledBurst} refilled ${TELEGRAM_GLOBAL.perSecond * 10}/s: 100 replies fit in the bucket, so the limit sets no floor here; ${statusNote(l1Limited)}`,
  });

  const l3 = runs.get('L3-BUCKETS');
  const reads = l3 ? lastProbeValue(l3, 'reads') : null;
  const buckets = l3 ? L3_BUCKETS.map((le) => ({ le: le * 1000, count: lastProbeValue(l3, `reads-le-${le * 1000}ms`) ?? 0 })) : [];
  figures.push(
    {
      name: 'L3 analytics DB read p95',
      value: reads === null ? null : bucketPercentile(buckets, reads, 95),
      unit: 'ms',
      goal: { kind: 'atMost', value: 10 },
      note: `upper bound of the histogram bucket (buckets 5, 10, 25, 50, 100 ms) over ${reads ?? '?'} reads; seed < 100 ms; ${statusNote(l3)}`,
    },
    {
      name: 'L3 admin reply p95, end to end',
      value: l3 ? (loadOf(l3, 'admins-click')?.latency.p95 ?? null) : null,
      unit: 'ms',
      goal: { kind: 'none' },
      note: 'update handed to the Telegram simulator → the bot\'s answer logged by it',
    },
  );

  const l9 = runs.get('L9');
  const webhookP95 = l9 ? Math.max(...['yookassa-webhooks', 'cryptopay-webhooks'].map((s) => loadOf(l9, s)?.latency.p95 ?? 0)) : null;
  figures.push({ name: 'L9 webhook processing p95', value: webhookP95, unit: 'ms', goal: { kind: 'atMost', value: 300 }, note: `worse of YooKassa and Crypto Pay; seed < 3 s; ${statusNote(l9)}` });

  const l11 = runs.get('L11');
  figures.push({
    name: 'L11 /health p99 at 100 req/s (corrected)',
    value: l11 ? (loadOf(l11, 'health-load')?.correctedLatency.p99 ?? null) : null,
    unit: 'ms',
    goal: { kind: 'atMost', value: 20 },
    note: `seed < 200 ms at p95; measured inside chaosctl run (probes share its event loop); ${statusNote(l11)}`,
  });
  const dbDown = l11?.faults.find((f) => f.step === 'db-down');
  const fine = l11?.probes.find((p) => p.name === 'health-fine')?.samples ?? [];
  figures.push(
    {
      name: 'PostgreSQL stop → first 503',
      value: typeof dbDown?.injectedMs === 'number' ? firstStatusAfter(fine, dbDown.injectedMs, 503) : null,
      unit: 'ms',
      goal: { kind: 'atMost', value: 1000 },
      note: 'from pg_ctl stop done, health probe every 100 ms (resolution 100 ms)',
    },
    {
      name: 'PostgreSQL back → first 200',
      value: typeof dbDown?.revertedMs === 'number' ? firstStatusAfter(fine, dbDown.revertedMs, 200) : null,
      unit: 'ms',
      goal: { kind: 'atMost', value: 2000 },
      note: 'from pg_ctl start done, health probe every 100 ms (the bench copy of L11 runs 4 s past the return)',
    },
  );

  const l5 = runs.get('L5');
  const run = l5?.actions.find((a) => a.step === 'reminders-run');
  const delivered = l5 ? (lastProbeValue(l5, 'reminders-delivered') ?? L5_REMINDERS) : L5_REMINDERS;
  const limit = TELEGRAM_GLOBAL.perSecond * L5_SCALE;
  const burst = TELEGRAM_GLOBAL.burst * L5_SCALE;
  const rate = run ? deliveryRate(delivered - burst, run.startedMs, run.endedMs) : null;
  figures.push({
    name: 'L5 10k reminders: send rate / simulator limit',
    value: rate === null ? null : rate / limit,
    unit: 'ratio',
    goal: { kind: 'atLeast', value: 0.95 },
    note: `${delivered} delivered in ${typeof run?.endedMs === 'number' ? ((run.endedMs - run.startedMs) / 1000).toFixed(1) : '?'} s; limit ${limit}/s after a bucket of ${burst} (Telegram's 30/s ×${L5_SCALE}); includes the 20 forced 429 retry_after 1; ${statusNote(l5)}`,
  });
  return figures;
}

/**
 * Figure 5: L1 (flood limit off) with the bot on long polling and on a webhook
 * (seed B8), and on polling with one update handled at a time (seed B2).
 */
export async function measureBotTime(ctx: BenchContext): Promise<Figure[]> {
  const webhook: ScenarioCopy = {
    id: 'L1-WEBHOOK',
    from: 'L1',
    override: (doc) => {
      floodOff(doc);
      const target = (doc.target ?? {}) as { env?: Record<string, string> };
      target.env = { ...target.env, BOT_MODE: 'webhook', BOT_WEBHOOK_URL: new URL('/telegram/webhook', ctx.endpoints.targetUrl).toString() };
      doc.target = target;
    },
  };
  const oneAtATime: ScenarioCopy = {
    id: 'L1-SERIAL',
    from: 'L1',
    override: (doc) => {
      floodOff(doc);
      const target = (doc.target ?? {}) as { env?: Record<string, string> };
      target.env = { ...target.env, BOT_MAX_CONCURRENT_UPDATES: '1' };
      doc.target = target;
    },
  };
  const runs = await runCopies(ctx, [COPIES['L1-NOFLOOD'], webhook, oneAtATime], 'bot-time');
  const p95 = (id: string): number | null => {
    const j = runs.get(id);
    return j ? (loadOf(j, 'start-burst')?.latency.p95 ?? null) : null;
  };
  return [
    { name: 'L1 p95, polling', value: p95('L1-NOFLOOD'), unit: 'ms', goal: { kind: 'atMost', value: 200 }, note: statusNote(runs.get('L1-NOFLOOD')) },
    { name: 'L1 p95, webhook', value: p95('L1-WEBHOOK'), unit: 'ms', goal: { kind: 'atMost', value: 200 }, note: statusNote(runs.get('L1-WEBHOOK')) },
    {
      name: 'L1 p95, polling, one update at a time',
      value: p95('L1-SERIAL'),
      unit: 'ms',
      goal: { kind: 'none' },
      note: `BOT_MAX_CONCURRENT_UPDATES=1 (default 25 across chats); ${statusNote(runs.get('L1-SERIAL'))}`,
    },
  ];
}
