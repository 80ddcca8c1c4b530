/**
 * Sabotage switches: test-only ways to break the target on purpose, so that the
 * harness can prove its scenarios catch the bug each one plants. They are read
 * from CHAOSCTL_SABOTAGE (comma-separated) and refused in production.
 */

/**
 * Every switch the target knows, by name, with one sentence saying what is
 * broken while it is on. Scenarios and `chaosctl` validate against this list.
 */
export const SABOTAGE_SWITCHES = {
  'health-db-check': 'GET /health reports the database as up without asking it.',
  'health-slow-check': 'The database check behind GET /health runs a heavy query (about 250 ms) instead of SELECT 1.',
  'db-retry': 'A statement whose pooled connection turns out dead fails instead of being retried once on a fresh connection.',
  'ledger-idempotency': 'creditPayment adds the amount to the balance even when the payment was already credited, so a duplicate webhook credits twice.',
  'balance-guard': 'purchaseSubscription reads the balance without a row lock and writes back an absolute value, so concurrent purchases spend the same money twice.',
  'reminder-dedup': 'claimReminder answers true to every caller, so an overlapping or rerun reminder job sends the same reminder again.',
  'callback-idempotency': 'markHabitDone answers done and counts the completion again when the habit was already done that day.',
  'alert-cooldown': 'Admin alerts have no cooldown: every raise of the same event is sent again.',
  'job-overlap': 'A scheduler job may run concurrently with itself (no one-instance rule, locally or in the job store).',
  'webhook-signature': 'Payment webhooks are not verified (no Crypto Pay signature, no YooKassa sender check or re-read), so a forged webhook credits.',
  'webhook-db-down-200': 'A payment webhook that cannot reach the database answers 200 instead of 503, so the provider stops redelivering and the payment is never credited.',
  'notify-429-retry': 'The notifier does not retry a send answered 429: the first Too Many Requests is reported as failed.',
  'notify-blocked': 'The notifier rethrows 403 Forbidden instead of marking the user blocked, so the job sending the message fails.',
  throttle: 'The bot\'s per-user rate limit is off: every message reaches a handler however many a user sends.',
  rollback: 'Bot handlers run without the per-update transaction, so a handler that fails halfway leaves its earlier writes behind.',
  'fsm-reset': '/start leaves the conversation state as it is and stale state never expires, so a user stuck in a flow stays stuck.',
} as const satisfies Record<string, string>;

export type SabotageName = keyof typeof SABOTAGE_SWITCHES;

/** The switches that are on. */
export type Sabotage = ReadonlySet<SabotageName>;

/** No sabotage: the target behaves as it would in production. */
export const NO_SABOTAGE: Sabotage = new Set<SabotageName>();

export function isSabotageName(name: string): name is SabotageName {
  return Object.hasOwn(SABOTAGE_SWITCHES, name);
}

/** A sabotage setting the target refuses to start with. */
export class SabotageError extends Error {
  /** Every known switch with its description, for the error output. */
  readonly details: string[];

  constructor(message: string, details: string[]) {
    super(message);
    this.name = 'SabotageError';
    this.details = details;
  }
}

/**
 * Reads CHAOSCTL_SABOTAGE. Throws SabotageError for a name not in the catalogue
 * and when any switch is on with NODE_ENV=production.
 */
export function parseSabotage(env: Readonly<Record<string, string | undefined>> = process.env): Sabotage {
  const names = [
    ...new Set(
      (env.CHAOSCTL_SABOTAGE ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ];
  if (names.length === 0) return NO_SABOTAGE;

  const unknown = names.filter((name) => !isSabotageName(name));
  if (unknown.length > 0) {
    const known = Object.entries(SABOTAGE_SWITCHES).map(([name, description]) => `${name}: ${description}`);
    throw new SabotageError(`unknown sabotage switch "${unknown.join('", "')}"`, known);
  }
  if (env.NODE_ENV === 'production') {
    throw new SabotageError(`sabotage switches are test-only and refused with NODE_ENV=production (CHAOSCTL_SABOTAGE=${names.join(',')})`, []);
  }
  return new Set(names.filter(isSabotageName));
}
