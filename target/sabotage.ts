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
  'health-db-unbounded': 'The database check behind GET /health has no time bound, so a hung database (not a stopped one) hangs /health with it.',
  'db-retry': 'Nothing is retried after a connection-level failure: a statement, a connection checkout or a bot update that meets a PostgreSQL restart fails at once instead of starting over on a new connection (at once, then 0.5 s and 2 s later).',
  'ledger-idempotency': 'creditPayment adds the amount to the balance even when the payment was already credited, so a duplicate webhook credits twice.',
  'credit-race': 'creditPayment checks for an earlier credit with a plain read, without locking the payment, then raises the balance: a duplicate webhook that arrives while the original is still being credited credits it again (one that comes after is still refused).',
  'balance-guard': 'purchaseSubscription reads the balance without a row lock and writes back an absolute value, so concurrent purchases spend the same money twice.',
  'reminder-dedup': 'Reminders are not idempotent per slot: the due query lists habits already reminded for the slot and claimReminder answers true to every caller, so a rerun or overlapping reminder job sends the same reminder again.',
  'analytics-blocking': 'analytics_refresh locks the tables it reads in SHARE mode for its whole transaction, so every writer (bot handlers, reminder claims) waits for the refresh.',
  'health-tight-limits': 'The health_check job judges the database against 50 ms and getMe against 100 ms instead of 500 ms and 1 s, so ordinary slowness is reported as a failure.',
  'callback-idempotency': 'markHabitDone answers done and counts the completion again when the habit was already done that day.',
  'alert-cooldown': 'Admin alerts have no cooldown: every raise of the same event is sent again.',
  'job-overlap': 'A scheduler job may run concurrently with itself (no one-instance rule, locally or in the job store).',
  'job-coalesce': 'Missed scheduler runs are not coalesced: each run moves the next run on by one interval only, so a job that fell behind works through every missed slot and its schedule lags further and further.',
  'webhook-signature': 'Payment webhooks are not verified (no Crypto Pay signature, no YooKassa sender check or re-read), so a forged webhook credits.',
  'webhook-missing-signature': 'A Crypto Pay webhook with no signature header is processed unchecked (only a signature that is sent is verified), so a forgery that leaves the header out credits.',
  'webhook-db-down-200': 'A payment webhook that cannot reach the database answers 200 instead of 503, so the provider stops redelivering and the payment is never credited.',
  'payment-failed-status': 'A top-up whose create_payment gave up (timeout, provider error) stays pending instead of being marked failed.',
  'payment-idempotency-key': 'The YooKassa client sends a fresh Idempotence-Key on every retry of create_payment, so a retry after a lost answer creates a second payment at the provider.',
  'notify-429-retry': 'The notifier does not retry a send answered 429: the first Too Many Requests is reported as failed.',
  'notify-blocked': 'The notifier rethrows 403 Forbidden instead of marking the user blocked, so the job sending the message fails.',
  throttle: 'The bot\'s per-user rate limit is off: every message reaches a handler however many a user sends.',
  rollback: 'Bot handlers run without the per-update transaction, so a handler that fails halfway leaves its earlier writes behind.',
  'fsm-reset': '/start leaves the conversation state as it is and stale state never expires, so a user stuck in a flow stays stuck.',
  'health-ignores-scheduler': 'GET /health leaves the scheduler out, so it answers 200 while the scheduler is stopped.',
  'polling-gives-up': 'The bot stops long polling for good after getUpdates fails 3 times in a row, so it never answers again once Telegram is back.',
  'alert-drop': 'An admin alert that cannot be delivered is dropped (not kept in the outbox or in memory), so an alert raised while Telegram is down never arrives.',
  'analytics-live-query': 'The admin dashboard computes its figures from users, habits and completions on every click instead of reading analytics_metrics, so the read grows with the data.',
  'fsm-cancel': '/cancel answers "Cancelled" but leaves the conversation state in place, so the abandoned flow goes on with the next message.',
  'throttle-local': 'The rate limit ignores REDIS_URL and counts in each process\'s memory, so with several instances a user gets the limit once per instance.',
  'credit-local-lock': 'creditPayment trusts a read-then-write check ("is there a credit already?") guarded only by the process\'s own per-payment lock, without the row lock and the unique ledger insert deciding: one process still credits once, two processes crediting the same payment at the same moment both add to the balance.',
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
