/**
 * Realistic journals for the reporter tests: a 20-second PostgreSQL outage scenario with
 * one HTTP load, one Toxiproxy fault and one probe, built deterministically from a
 * seeded generator. The "passed" target answers 503 quickly while the database is
 * down; the "failed" one is sabotaged to hang and recovers late.
 */
import type {
  ExpectationResult,
  Journal,
  LatencySummary,
  LoadSecond,
  ProbeSample,
} from '../../cli/core/journal.ts';
import { JOURNAL_VERSION } from '../../cli/core/journal.ts';
import { seededRandom as random } from '../../cli/core/seeded-random.ts';

export type Variant = 'passed' | 'failed';

/** A string that breaks naive XML or HTML output in every way we know of. */
export const HOSTILE = `<script>alert("x&y")</script> 'q' \u0001\u0008\u000B\uFFFE end`;

const TIMELINE_MS = 20_000;
const FAULT_AT = 6_012;
const REVERT_STARTED = 12_005;
const REVERTED = 12_031;
const RATE = 50;
const CONNECTIONS = 10;


interface SimulatedRequest {
  tMs: number;
  latencyMs: number;
  status: number;
}

function inOutage(tMs: number, variant: Variant): boolean {
  const recoveryMs = variant === 'passed' ? 400 : 7_500;
  return tMs >= FAULT_AT && tMs < REVERTED + recoveryMs;
}

/** What the target does with one request at tMs. */
function respond(tMs: number, variant: Variant, rnd: () => number): { status: number; latencyMs: number } {
  if (!inOutage(tMs, variant)) return { status: 200, latencyMs: 1.8 + rnd() * 4 + (rnd() < 0.02 ? rnd() * 40 : 0) };
  if (variant === 'passed') return { status: 503, latencyMs: 2.5 + rnd() * 3 };
  return { status: 500, latencyMs: 2_600 + rnd() * 900 };
}

function simulateLoad(variant: Variant): SimulatedRequest[] {
  const rnd = random(variant === 'passed' ? 11 : 12);
  const requests: SimulatedRequest[] = [];
  const busyUntil: number[] = Array.from({ length: CONNECTIONS }, () => 0);
  const interval = 1000 / RATE;
  for (let planned = 0; planned < TIMELINE_MS; planned += interval) {
    const connection = busyUntil.indexOf(Math.min(...busyUntil));
    const sentAt = Math.max(planned, busyUntil[connection] ?? 0);
    if (sentAt >= TIMELINE_MS) continue;
    const { status, latencyMs } = respond(sentAt, variant, rnd);
    busyUntil[connection] = sentAt + latencyMs;
    requests.push({ tMs: sentAt, latencyMs, status });
  }
  return requests;
}

function summarise(latencies: number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p: number): number => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    min: round(sorted[0] ?? 0),
    mean: round(sorted.length === 0 ? 0 : sum / sorted.length),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}

/** Coordinated-omission correction: a slow response also stands for the requests its connection held back. */
function corrected(latencies: number[]): number[] {
  const interval = (1000 * CONNECTIONS) / RATE;
  const out: number[] = [];
  for (const latency of latencies) {
    out.push(latency);
    for (let missed = latency - interval; missed > 0; missed -= interval) out.push(missed);
  }
  return out;
}

function perSecond(requests: SimulatedRequest[]): LoadSecond[] {
  const seconds: LoadSecond[] = [];
  for (let s = 0; s < TIMELINE_MS / 1000; s++) {
    const inSecond = requests.filter((r) => Math.floor(r.tMs / 1000) === s);
    const summary = summarise(inSecond.map((r) => r.latencyMs));
    seconds.push({ tMs: s * 1000, requests: inSecond.length, errors: inSecond.filter((r) => r.status >= 300).length, p95Ms: summary.p95, maxMs: summary.max });
  }
  return seconds;
}

function probeSamples(variant: Variant): ProbeSample[] {
  const rnd = random(variant === 'passed' ? 21 : 22);
  const samples: ProbeSample[] = [];
  for (let tMs = 0; tMs < TIMELINE_MS; tMs += 250) {
    const { status, latencyMs } = respond(tMs, variant, rnd);
    if (latencyMs >= 2_000) samples.push({ tMs, ok: false, status: null, latencyMs: 2_000, error: 'timeout' });
    else samples.push({ tMs, ok: status === 200, status, latencyMs: round(latencyMs) });
  }
  return samples;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function expectations(variant: Variant, load: LatencySummary, samples: ProbeSample[]): ExpectationResult[] {
  const during = samples.filter((s) => s.tMs >= FAULT_AT + 1000 && s.tMs < REVERT_STARTED);
  const after = samples.filter((s) => s.tMs >= REVERTED && s.tMs < REVERTED + 5_000);
  const firstOk = after.find((s) => s.status === 200);
  const all503 = during.every((s) => s.status === 503);
  const slowest = Math.max(...during.map((s) => s.latencyMs));
  return [
    {
      id: 'health-p95',
      kind: 'latency',
      clause: 'C1',
      text: 'The health endpoint stays fast under steady load, database outage included.',
      assertion: 'p95 of health-load < 500 ms',
      passed: load.p95 < 500,
      observed: `p95 = ${load.p95} ms (corrected) over ${load.count} requests`,
      evidence: { percentile: 95, valueMs: load.p95, belowMs: 500, requests: load.count },
      subject: { load: 'health-load' },
    },
    {
      id: 'health-503-during-outage',
      kind: 'probe',
      clause: '§4 DB down',
      text: 'While PostgreSQL is unreachable, /health answers 503 instead of hanging.',
      assertion: 'every health sample during db-down (after 1 s) has status 503',
      passed: all503,
      observed: all503 ? `${during.length} of ${during.length} samples were 503` : `${during.filter((s) => s.status !== 503).length} of ${during.length} samples were not 503 (timeouts)`,
      evidence: { windowStartMs: FAULT_AT + 1000, windowEndMs: REVERT_STARTED, samples: during.length, matching: during.filter((s) => s.status === 503).length },
      subject: { probe: 'health', condition: { status: 503 }, window: { during: 'db-down', skipFirst: '1s' }, mode: 'always' },
    },
    {
      id: 'health-fast-during-outage',
      kind: 'probe',
      clause: '§4 DB down',
      text: 'The degraded answer is immediate.',
      assertion: 'every health sample during db-down answers within 500 ms',
      passed: slowest < 500,
      observed: `slowest sample ${slowest} ms`,
      evidence: { windowStartMs: FAULT_AT, windowEndMs: REVERT_STARTED, slowestMs: slowest },
      subject: { probe: 'health', condition: { latencyBelow: '500ms' }, window: { during: 'db-down' }, mode: 'always' },
    },
    {
      id: 'health-recovers',
      kind: 'probe',
      clause: 'C1',
      text: 'Health is back to 200 within 5 s of the database returning.',
      assertion: 'some health sample within 5 s after db-down has status 200',
      passed: firstOk !== undefined,
      observed: firstOk ? `first 200 at +${((firstOk.tMs - REVERTED) / 1000).toFixed(2)} s after the revert` : `no 200 among ${after.length} samples`,
      evidence: { windowStartMs: REVERTED, windowEndMs: REVERTED + 5_000, samples: after.length, firstOkMs: firstOk?.tMs ?? null },
      subject: { probe: 'health', condition: { status: 200 }, window: { after: 'db-down', within: '5s' }, mode: 'eventually' },
    },
  ];
}

/** A complete journal of the outage scenario. */
export function buildJournal(variant: Variant): Journal {
  const requests = simulateLoad(variant);
  const latencies = requests.map((r) => r.latencyMs);
  const correctedSummary = summarise(corrected(latencies));
  const statusCounts: Record<string, number> = {};
  for (const r of requests) statusCounts[String(r.status)] = (statusCounts[String(r.status)] ?? 0) + 1;
  const errors = requests.filter((r) => r.status >= 300).length;
  const samples = probeSamples(variant);
  const results = expectations(variant, correctedSummary, samples);
  const failed = results.filter((r) => !r.passed).length;
  const healthSpec = { name: 'health', kind: 'http' as const, path: '/health', every: '250ms', timeout: '2s' };
  const steady = { probe: 'health', description: 'health answers 200 within 15s', passed: true, attempts: 1, last: { tMs: -120, ok: true, status: 200, latencyMs: 3.1 } };
  return {
    journalVersion: JOURNAL_VERSION,
    runId: `2025-03-01T12-00-00Z-${variant}`,
    scenario: {
      id: 'C1',
      title: 'PostgreSQL outage: health degrades and recovers',
      kind: 'chaos',
      description: 'Cuts the database off behind Toxiproxy for six seconds under steady /health load, then checks the target degrades to 503 and comes back.',
      covers: ['C1', '§4 DB down'],
      file: 'scenarios/c1-postgres-outage.yaml',
    },
    status: failed === 0 ? 'passed' : 'failed',
    ...(failed === 0 ? {} : { reason: `${failed} of ${results.length} expectations failed` }),
    startedAt: '2025-03-01T12:00:00.000Z',
    endedAt: '2025-03-01T12:00:24.350Z',
    durationMs: 24_350,
    timelineDurationMs: TIMELINE_MS,
    environment: {
      chaosctl: '0.1.0',
      node: 'v20.20.2',
      platform: 'linux x64',
      stackMode: 'local',
      targetOverrides: { DB_POOL_SIZE: '4', HEALTH_DB_TIMEOUT_MS: '250' },
      sabotage: variant === 'failed' ? ['hang-on-db-error'] : [],
      services: { postgres: 'PostgreSQL 16.4 on 127.0.0.1:54321', toxiproxy: 'toxiproxy 2.9.0 on 127.0.0.1:8474', target: 'bot-backend 0.1.0 on http://127.0.0.1:41234' },
    },
    steadyState: {
      before: [steady],
      // The sabotaged target is healthy again by the time the after-check runs, after a few tries.
      after: [{ ...steady, attempts: variant === 'passed' ? 1 : 3, last: { tMs: 20_900, ok: true, status: 200, latencyMs: 2.7 } }],
    },
    timeline: [
      { step: 'health-load', kind: 'load', plannedAtMs: 0, plannedForMs: TIMELINE_MS, startedMs: 2, endedMs: 20_004 },
      { step: 'db-down', kind: 'fault', plannedAtMs: 6_000, plannedForMs: 6_000, startedMs: 6_001, endedMs: REVERTED },
    ],
    loads: [
      {
        step: 'health-load',
        spec: { driver: 'http', path: '/health', method: 'GET', rate: RATE, connections: CONNECTIONS, timeout: '10s' },
        description: `GET /health at ${RATE}/s over ${CONNECTIONS} connections`,
        startedMs: 2,
        endedMs: 20_004,
        requests: requests.length,
        errors,
        statusCounts,
        latency: summarise(latencies),
        correctedLatency: correctedSummary,
        achievedRate: round(requests.length / 20),
        series: perSecond(requests),
      },
    ],
    faults: [
      {
        step: 'db-down',
        spec: { driver: 'toxiproxy', proxy: 'postgres', toxic: 'down', stream: 'downstream', toxicity: 1 },
        description: 'proxy postgres disabled (down)',
        injectedMs: FAULT_AT,
        revertStartedMs: REVERT_STARTED,
        revertedMs: REVERTED,
      },
    ],
    actions: [],
    fixtures: [],
    probes: [{ name: 'health', spec: healthSpec, samples }],
    expectations: results,
    finalSamples: {},
    events: [
      { tMs: -1_800, level: 'info', message: 'stack ready (local): postgres, toxiproxy, target' },
      { tMs: -120, level: 'info', message: 'steady state before: health answers 200 within 15s — ok' },
      { tMs: 2, level: 'info', message: 'load health-load started: GET /health at 50/s' },
      { tMs: FAULT_AT, level: 'info', message: 'fault db-down injected: proxy postgres disabled (down)' },
      ...(variant === 'failed' ? [{ tMs: 7_250, level: 'warn' as const, message: 'probe health: timeout after 2s' }] : []),
      { tMs: REVERTED, level: 'info', message: 'fault db-down reverted' },
      { tMs: 20_004, level: 'info', message: 'load health-load finished' },
      ...(variant === 'failed' ? [{ tMs: 24_300, level: 'error' as const, message: `${failed} expectations failed` }] : []),
    ],
  };
}

/** A run that died before anything happened: no steps, loads, probes, samples or expectations. */
export function buildEmptyJournal(): Journal {
  const base = buildJournal('passed');
  return {
    ...base,
    runId: '2025-03-01T12-05-00Z-empty',
    status: 'error',
    reason: 'could not start postgres: port 54321 is in use',
    startedAt: '2025-03-01T12:05:00.000Z',
    endedAt: '2025-03-01T12:05:01.250Z',
    durationMs: 1_250,
    timelineDurationMs: 0,
    steadyState: { before: [], after: [] },
    timeline: [],
    loads: [],
    faults: [],
    probes: [],
    expectations: [],
    events: [{ tMs: -1_250, level: 'error', message: 'could not start postgres: port 54321 is in use' }],
  };
}

/** A journal with HOSTILE planted in every free-text field a reporter prints. */
export function buildHostileJournal(): Journal {
  const base = buildJournal('failed');
  const load = base.loads[0];
  const fault = base.faults[0];
  const probe = base.probes[0];
  if (!load || !fault || !probe) throw new Error('fixture lacks a load, fault or probe');
  return {
    ...base,
    runId: HOSTILE,
    reason: HOSTILE,
    scenario: { ...base.scenario, title: HOSTILE, description: HOSTILE, covers: [HOSTILE], file: HOSTILE },
    environment: {
      ...base.environment,
      chaosctl: HOSTILE,
      sabotage: [HOSTILE],
      targetOverrides: { [HOSTILE]: HOSTILE },
      services: { [HOSTILE]: HOSTILE },
    },
    steadyState: { before: base.steadyState.before.map((c) => ({ ...c, description: HOSTILE, passed: false })), after: [] },
    timeline: base.timeline.map((t) => ({ ...t, step: HOSTILE, error: HOSTILE })),
    loads: [{ ...load, step: HOSTILE, statusCounts: { [HOSTILE]: 3 } }],
    faults: [{ ...fault, step: HOSTILE, description: HOSTILE, revertError: HOSTILE }],
    probes: [{ ...probe, name: HOSTILE, samples: probe.samples.map((s) => (s.status === null ? { ...s, error: HOSTILE } : s)) }],
    expectations: base.expectations.map((e) => ({ ...e, id: HOSTILE, clause: HOSTILE, text: HOSTILE, assertion: HOSTILE, observed: HOSTILE, evidence: { note: HOSTILE } })),
    events: [{ tMs: 1, level: 'error', message: HOSTILE }],
  };
}
