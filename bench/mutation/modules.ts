/**
 * Which target files carry the seed's promises, and which scenarios guard each.
 *
 * Derived by hand from three generated or tested sources, so it can be checked
 * against them (test/bench/mutation-modules.test.ts):
 * - docs/sabotage.md: each switch, the file that reads it (`sabotage.has(…)` in
 *   target/) and the scenarios that catch it;
 * - the scenarios' `covers` and `catches` (scenarios/*.yaml);
 * - docs/seed-clauses.md: the clause each of those scenarios' expectations proves.
 * Scenarios are listed most likely to kill first: the mutation command stops at
 * the first one that fails, so a killed mutant costs one run.
 */

/** One mutated file, optionally limited to line ranges (1-based, inclusive). */
export interface MutatedFile {
  /** Path from the package root, e.g. target/http/app.ts. */
  file: string;
  /** Only these lines are mutated; the whole file when left out. */
  lines?: readonly (readonly [number, number])[];
  /** Scenario ids run against each mutant of this file, in this order. */
  scenarios: readonly string[];
  /** Where the mapping comes from: the sabotage switches read in this file (or the code path they share). */
  source: string;
}

/** A promise-bearing area of the target (the issue's list). */
export interface MutationModule {
  name: string;
  /** Seed clauses (as in docs/seed-clauses.md) whose promises live in this module. */
  clauses: readonly string[];
  files: readonly MutatedFile[];
}

export const MUTATION_MODULES: readonly MutationModule[] = [
  {
    name: 'health',
    clauses: ['L11', 'C1', 'C3', '§7.4'],
    files: [
      { file: 'target/health/db-check.ts', scenarios: ['L11', 'C1', 'C1B'], source: 'health-slow-check (L11) runs its heavy query here; the bounded SELECT 1 behind health-db-check (C1, L11) and health-db-unbounded (C1B)' },
      { file: 'target/http/app.ts', scenarios: ['L11', 'C1', 'C3'], source: 'health-db-check, health-ignores-scheduler (L11, C1, C3)' },
      { file: 'target/monitor/health-monitor.ts', scenarios: ['C3', 'C1', 'L7'], source: 'the component states /health and the health_check alerts read (C3 scheduler, C1 database, L7 limits)' },
    ],
  },
  {
    name: 'payments-webhooks',
    clauses: ['C5', 'C6', 'C7', 'C8', 'L8', 'L10'],
    files: [
      { file: 'target/payments/webhooks.ts', scenarios: ['C8', 'C7', 'C6'], source: 'webhook-signature (C8), webhook-db-down-200 (C6), the crediting path of ledger-idempotency (C7)' },
      { file: 'target/payments/payment-service.ts', scenarios: ['L8', 'C5'], source: 'payment-idempotency-key (L8), payment-failed-status (C5)' },
      { file: 'target/repos/payment-credits.ts', scenarios: ['C7', 'C7-RACE', 'L10'], source: 'ledger-idempotency (C7, L10, L9), credit-race (C7), credit-local-lock (C7-RACE, two instances)' },
    ],
  },
  {
    name: 'notifier-retries',
    clauses: ['C9', 'L5', 'C2', 'B7'],
    files: [
      { file: 'target/notifications/notifier.ts', scenarios: ['C9', 'L5'], source: 'notify-blocked (C9), notify-429-retry (L5)' },
      { file: 'target/db/query.ts', scenarios: ['C2'], source: 'db-retry (C2)' },
    ],
  },
  {
    name: 'alerts',
    clauses: ['C1', 'C3', 'C4'],
    files: [{ file: 'target/alerts/alert-service.ts', scenarios: ['C1', 'C4', 'C3'], source: 'alert-cooldown (C1, C3, C4), alert-drop (C4)' }],
  },
  {
    name: 'throttling',
    clauses: ['L1', 'C11'],
    files: [{ file: 'target/bot/throttle.ts', scenarios: ['C11', 'L1'], source: 'throttle (C11, L1)' }],
  },
  {
    name: 'scheduler-reminders',
    clauses: ['L5', 'L2', 'B4', 'C9', 'L7'],
    files: [
      { file: 'target/scheduler/scheduler.ts', scenarios: ['L5', 'L2'], source: 'job-overlap (L5), job-coalesce (L2)' },
      { file: 'target/repos/reminders.ts', scenarios: ['L5', 'C9'], source: 'reminder-dedup (L5); the claim C9 reminds through' },
      { file: 'target/scheduler/jobs.ts', scenarios: ['L5', 'C9', 'L7'], source: 'health-tight-limits (L7); the habit_reminders job of L5 and C9' },
    ],
  },
  {
    name: 'conversation-state',
    clauses: ['C10', 'L4'],
    files: [
      { file: 'target/bot/conversations.ts', scenarios: ['C10', 'L4'], source: 'fsm-reset (C10), fsm-cancel (L4): the state store both switches bypass' },
      // Only /start, /cancel, /newhabit and the flow's text handler; the other commands carry other promises.
      { file: 'target/bot/handlers.ts', lines: [[80, 98], [197, 236]], scenarios: ['L4', 'C10'], source: 'fsm-reset, fsm-cancel (handlers.ts reads both)' },
    ],
  },
];

/** Every mutated file with the module it belongs to. */
export function mutatedFiles(modules: readonly MutationModule[] = MUTATION_MODULES): (MutatedFile & { module: string })[] {
  return modules.flatMap((m) => m.files.map((f) => ({ ...f, module: m.name })));
}

/** The entry of `file` (a path from the package root), or undefined when it is not mutated. */
export function mutatedFile(file: string, modules: readonly MutationModule[] = MUTATION_MODULES): (MutatedFile & { module: string }) | undefined {
  return mutatedFiles(modules).find((f) => f.file === file);
}

/** Stryker `mutate` patterns for the table: whole files, or `file:from-to` line ranges. */
export function mutatePatterns(modules: readonly MutationModule[] = MUTATION_MODULES): string[] {
  return mutatedFiles(modules).flatMap((f) => (f.lines ? f.lines.map(([from, to]) => `${f.file}:${from}-${to}`) : [f.file]));
}
