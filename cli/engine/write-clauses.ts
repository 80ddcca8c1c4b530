/**
 * Writes docs/seed-clauses.md: every seed row, its expected behaviour as the seed words
 * it, and every expectation of the catalogue that proves a part of it (scenario, id,
 * the expectation's own seed text, how it is measured). Run with `npm run clauses`; the
 * drift test (test/scenarios/catalogue.test.ts) fails when the file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isEntryPoint } from './entry-point.ts';
import { DEFAULT_SCENARIO_DIR, PACKAGE_ROOT } from '../paths.ts';
import { describeCondition } from './assertions.ts';
import { expectationId, listScenarioFiles, validateScenarioText } from './scenario-loader.ts';
import type { Expectation } from '../core/scenario-schema.ts';
import type { Scenario } from '../drivers/registry.ts';

export const CLAUSES_FILE = path.join(PACKAGE_ROOT, 'docs', 'seed-clauses.md');

/** The seed's rows L1–L11, C1–C11 and the scale-out rows B3, B4 with their expected behaviour, as the seed words it. */
export const SEED_ROWS: ReadonlyArray<readonly [string, string]> = [
  ['L1', 'Burst of /start — 100 users at once · latency p95, errors · ThrottlingMiddleware drops >30/min per user. Reply < 2 s.'],
  ['L2', 'Mass callbacks (habit_done) — 50/s · DB connections, scheduler load · Pool (5+10) holds. Job coalesce kicks in.'],
  ['L3', 'Admin dashboard — 10 admins clicking Analytics · DB query time · Read from analytics_metrics < 100 ms.'],
  ['L4', 'Long scenario — 20 FSM flows in parallel · session duration, memory · No leaks. FSM cleanup on cancel.'],
  ['L5', 'habit_reminders — 10k habits due at the same time · job duration, Telegram API 429 · Idempotent. On 429 — retry with backoff.'],
  ['L6', 'analytics_refresh — heavy SQL · lock time, DB CPU · Queries < 30 s. Does not block other jobs.'],
  ['L7', 'health_check every 5 min · false positives · DB check < 500 ms. Bot getMe < 1 s.'],
  ['L8', 'create_payment — 20 concurrent · YooKassa / Crypto Pay latency · Idempotency protects from duplicates. Timeout 30 s.'],
  ['L9', 'Webhooks — 50 callbacks/min · DB write, response time · process_webhook < 3 s. 200 OK. Idempotent.'],
  ['L10', 'Balance top-up + subscription in the same window · race conditions · FK, unique constraints. No double credit.'],
  ['L11', 'GET /health — 100 req/s · 200/503, latency · < 200 ms when healthy. 503 when DB is down.'],
  ['C1', 'DB unavailable · Health 503. Admin alert critical. Scheduler jobs fail and are logged. Bot handlers — UserContextMiddleware rolls back. Recovery alert when restored.'],
  ['C2', 'PostgreSQL restart · pool_pre_ping recovers. Single errors possible — retry at call level.'],
  ['C3', 'Scheduler stop · Health 503 (scheduler not running). Alert warning. Bot keeps working.'],
  ['C4', 'Telegram API unavailable · getMe fails → health 503. Bot polling fails → shutdown. Admin alert.'],
  ['C5', 'YooKassa timeout · create_payment → error. Payment status=failed. User sees an error and can retry.'],
  ['C6', 'Webhook while DB is down · 500/503. Provider retries the webhook. Redelivered after recovery.'],
  ['C7', 'Duplicate webhook · Idempotent: second time 200 OK, no double credit.'],
  ['C8', 'Webhook with a bad signature · verify_webhook → false. 400. Not processed.'],
  ['C9', 'User blocked the bot · NotificationService catches it, returns False. log_job_skip. The job does not crash.'],
  ['C10', 'FSM timeout / stale state · /start resets FSM. No getting stuck.'],
  ['C11', 'Rate limit exceeded · ThrottlingMiddleware — handler not called. No reply (a "Too many requests" reply could be added).'],
  ['B3', 'ThrottlingMiddleware in memory · with several instances each has its own limit · for scale-out: Redis-based rate limit.'],
  ['B4', 'Scheduler JobStore — PostgreSQL · locks with concurrent job execution · max_instances=1, coalesce=True already set. Misfire 300 s.'],
];

interface Proof {
  scenario: string;
  id: string;
  expectation: Expectation;
}

function measuredBy(e: Expectation): string {
  switch (e.kind) {
    case 'latency':
      return `${e.percentile === 100 ? 'max' : `p${e.percentile}`} of load \`${e.load}\` < ${e.below}`;
    case 'errors':
      return `at most ${e.max} failed of load \`${e.load}\``;
    case 'probe':
      return `probe \`${e.probe}\`: ${e.mode} ${describeCondition(e.condition)}`;
    case 'final':
      return `probe \`${e.probe}\` after the run: ${describeCondition(e.condition)}`;
    case 'action':
      return `action \`${e.step}\` ends ${e.outcome.join('/')}${e.durationBelow ? ` in < ${e.durationBelow}` : ''}`;
  }
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();

/** The catalogue's scenarios, validated (a broken file is an error here: fix it first). */
export function loadCatalogue(dir: string = DEFAULT_SCENARIO_DIR): Scenario[] {
  return listScenarioFiles(dir).map((file) => {
    const { scenario, problems } = validateScenarioText(readFileSync(file, 'utf8'), file);
    if (!scenario) throw new Error(`${file} is not valid (${problems.length} problems): run chaosctl validate`);
    return scenario;
  });
}

/** The exact text of docs/seed-clauses.md for these scenarios. */
export function renderClauses(scenarios: readonly Scenario[]): string {
  const proofs: Proof[] = scenarios.flatMap((s) => s.expect.map((e, i) => ({ scenario: s.id, id: expectationId(e, i), expectation: e })));
  const byClause = new Map<string, Proof[]>();
  for (const p of proofs) byClause.set(p.expectation.clause, [...(byClause.get(p.expectation.clause) ?? []), p]);
  const table = (rows: Proof[]): string[] => [
    '| scenario | expectation | seed text it proves | measured by |',
    '|---|---|---|---|',
    ...rows.map((p) => `| ${p.scenario} | \`${p.id}\` | ${cell(p.expectation.text)} | ${cell(measuredBy(p.expectation))} |`),
  ];
  const lines = [
    '# Seed clauses and the expectations that prove them',
    '',
    'Generated from `scenarios/*.yaml` by `npm run clauses`; a test fails when this file is out of',
    'date. Each seed row is quoted as the seed words it (scenario · metrics · expected behaviour),',
    'followed by every expectation of the catalogue whose `clause` is that row. The rows of §3, §4,',
    '§5, §6 and §7 that scenarios touch follow the same way.',
    '',
  ];
  for (const [row, words] of SEED_ROWS) {
    lines.push(`## ${row}`, '', `> ${words}`, '', ...table(byClause.get(row) ?? []), '');
    byClause.delete(row);
  }
  for (const clause of [...byClause.keys()].sort()) {
    lines.push(`## ${clause}`, '', ...table(byClause.get(clause) ?? []), '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

if (isEntryPoint(import.meta.url)) {
  writeFileSync(CLAUSES_FILE, renderClauses(loadCatalogue()));
  process.stdout.write(`wrote ${path.relative(process.cwd(), CLAUSES_FILE)}\n`);
}
