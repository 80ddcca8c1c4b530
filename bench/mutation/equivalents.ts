/**
 * Reviewed mutants that no scenario can or should kill, each with the reason.
 * A surviving mutant matching an entry is reported as equivalent (never
 * dropped): same file, mutator and replacement, and the same source text
 * replaced (so the entry survives edits that move the code).
 */
export interface EquivalentMutant {
  file: string;
  mutatorName: string;
  replacement: string;
  /** The exact source text the mutant replaces (the first line of it, for a span of several lines). */
  original: string;
  reason: string;
}

const SWITCH_OFF = 'the sabotage switch name emptied: the switch can only be off, and it is off in every healthy scenario run';

export const EQUIVALENT_MUTANTS: readonly EquivalentMutant[] = [
  { file: 'target/db/query.ts', mutatorName: 'StringLiteral', replacement: '""', original: "'db-retry'", reason: SWITCH_OFF },
  { file: 'target/payments/payment-service.ts', mutatorName: 'StringLiteral', replacement: '""', original: "'payment-idempotency-key'", reason: SWITCH_OFF },
  { file: 'target/bot/throttle.ts', mutatorName: 'StringLiteral', replacement: '""', original: "'update dropped by the rate limit'", reason: 'debug log message text; no promise of the seed is about it' },
  {
    file: 'target/monitor/health-monitor.ts',
    mutatorName: 'ConditionalExpression',
    replacement: 'true',
    original: 'scheduler',
    reason: 'target/main.ts always gives the monitor its scheduler, so "if (scheduler)" is always true in the target that runs',
  },
];
