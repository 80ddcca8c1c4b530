/**
 * The one scenario schema. The TypeScript types, the runtime validator and
 * scenarios/schema.json (for editors) all come from the definitions below.
 */
import { z } from 'zod';
import { atLeastProbeInterval, DURATION_PATTERN, MAX_DURATION, MIN_PROBE_INTERVAL, withinMaxDuration } from './duration.ts';

// Every duration is bounded: an unbounded one ("99999999999999999999h") would validate and then
// overflow the timers that wait for it.
const duration = z
  .string()
  .regex(DURATION_PATTERN, { message: 'expected a duration such as 250ms, 5s or 2m' })
  .refine(withinMaxDuration, { message: `must be at most ${MAX_DURATION}` })
  .describe(`A duration: a number and a unit, ms | s | m | h (e.g. 250ms, 5s), at most ${MAX_DURATION}.`);

/** How often a probe samples: bounded below too, so a probe never turns into a load of its own. */
const interval = duration
  .refine(atLeastProbeInterval, { message: `must be at least ${MIN_PROBE_INTERVAL} (a probe samples at most every ${MIN_PROBE_INTERVAL})` })
  .describe(`A sampling interval: a duration from ${MIN_PROBE_INTERVAL} to ${MAX_DURATION}.`);

const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, { message: 'use lower-case letters, digits and dashes, starting with a letter' });

const urlPath = z.string().regex(/^\/[^\s]*$/, { message: 'expected a path starting with /' });

/** HTTP load against the target at an open arrival rate. */
export const HttpLoadSchema = z
  .object({
    driver: z.literal('http'),
    path: urlPath.describe('Path on the target HTTP side, e.g. /health.'),
    method: z.enum(['GET', 'POST']).default('GET'),
    rate: z.number().positive().max(5000).describe('Requests per second, across all connections.'),
    connections: z.number().int().positive().max(200).default(10),
    timeout: duration.default('10s').describe('A request slower than this counts as an error.'),
  })
  .strict();

/** One scripted action of a virtual Telegram user. `{user}` in texts becomes the user's number. */
export const TelegramActionSchema = z
  .object({
    command: z.string().regex(/^\/?[a-z0-9_]{1,32}$/, { message: 'a bot command such as start or /start' }).optional(),
    args: z.string().optional().describe('Text after the command.'),
    message: z.string().min(1).optional().describe('A plain text message.'),
    callback: z.string().min(1).max(64).optional().describe('callback_data of an inline button on the bot\'s latest keyboard message.'),
    reply: z
      .enum(['expected', 'none', 'any'])
      .default('expected')
      .describe('expected: no reply within replyTimeout is an error; none: a reply is an error (e.g. throttled); any: not checked.'),
    repeat: z.number().int().min(1).max(1000).default(1),
    think: duration.default('0ms').describe('Pause after this action (after its reply, when one is expected).'),
  })
  .strict()
  .refine((a) => [a.command, a.message, a.callback].filter((x) => x !== undefined).length === 1, {
    message: 'an action has exactly one of command, message or callback',
  });

/** Virtual Telegram users playing a script against the bot, through the Telegram simulator. */
export const TelegramLoadSchema = z
  .object({
    driver: z.literal('telegram'),
    users: z.number().int().min(1).max(20_000).describe('How many virtual users play the script.'),
    firstUser: z.number().int().min(1).default(1).describe('Number of the first virtual user (users are firstUser … firstUser+users-1).'),
    arrival: z.enum(['burst', 'rate']).default('rate').describe('burst: every user starts at once; rate: users start at `rate` per second (open model).'),
    rate: z.number().positive().max(2000).default(10).describe('Users starting per second with arrival: rate.'),
    script: z.array(TelegramActionSchema).min(1),
    replyTimeout: duration.default('5s'),
  })
  .strict();

/**
 * The forgeries the provider simulators can send. YooKassa signs nothing (the target must
 * re-read the payment): a paid or a canceled claim about a pending payment, or a claim about
 * a payment YooKassa never made. Crypto Pay signs every webhook: a paid-looking update signed
 * with another key, with no signature, with a valid signature of other bytes (tampered), or
 * about an invoice that does not exist.
 */
export const YOOKASSA_FORGERIES = ['paid-claim', 'canceled-claim', 'unknown-payment'] as const;
export const CRYPTOPAY_FORGERIES = ['bad-signature', 'missing-signature', 'tampered', 'unknown-payment'] as const;
export type ForgeryKind = (typeof YOOKASSA_FORGERIES)[number] | (typeof CRYPTOPAY_FORGERIES)[number];

/** Payment provider notifications to the target, each about a real payment, with a share of duplicates and forgeries. */
export const WebhooksLoadSchema = z
  .object({
    driver: z.literal('webhooks'),
    provider: z.enum(['yookassa', 'cryptopay']).describe('Which provider simulator sends the notifications.'),
    rate: z.number().positive().max(100).describe('Deliveries per second, genuine, duplicate and forged together (50 per minute ≈ 0.84).'),
    duplicates: z.number().min(0).max(1).default(0).describe('Share of deliveries that resend an earlier genuine notification (same bytes).'),
    concurrentDuplicates: z
      .boolean()
      .default(false)
      .describe('Send each duplicate the moment its original goes out, not in a slot of its own, so both reach the target while it is still crediting the first (a check-then-act race); the counts stay the same.'),
    forgeries: z.number().min(0).max(1).default(0).describe('Share of deliveries the provider never sent, claiming an unpaid payment succeeded; the target must refuse them with 400.'),
    forgeryKinds: z
      .array(z.enum([...new Set<ForgeryKind>([...YOOKASSA_FORGERIES, ...CRYPTOPAY_FORGERIES])] as [ForgeryKind, ...ForgeryKind[]]))
      .min(1)
      .optional()
      .describe(`Which forgeries to send, in turn (the first forged delivery is the first kind, and so on). yookassa: ${YOOKASSA_FORGERIES.join(', ')} (default paid-claim); cryptopay: ${CRYPTOPAY_FORGERIES.join(', ')} (default bad-signature).`),
    amount: z.number().int().positive().max(100_000_000).default(10_000).describe('Amount of each payment in minor units (kopecks).'),
    currency: z.string().regex(/^[A-Z]{3}$/, { message: 'a currency code such as RUB' }).default('RUB'),
    answerTimeout: duration.default('15s').describe('A delivery with no answer from the target in this long is an error.'),
    copiesAtOnce: z
      .number()
      .int()
      .min(1)
      .max(4)
      .default(1)
      .describe('Each genuine notification is sent this many times at the same moment (the copies asked for without waiting for any answer), so they race inside the target; with several instances HAProxy hands them to different ones.'),
    users: z
      .number()
      .int()
      .min(1)
      .max(20_000)
      .optional()
      .describe('Pay for these virtual users (firstUser … firstUser+users-1, in turn) instead of one fresh user of the driver\'s own, so top-ups land on users another step drives at the same time (L10).'),
    firstUser: z.number().int().min(1).optional().describe('Number of the first virtual user paid for (with users; default 1).'),
  })
  .strict()
  .refine((s) => s.duplicates + s.forgeries < 1, { message: 'duplicates + forgeries must leave room for genuine deliveries (sum below 1)' })
  .refine((s) => s.firstUser === undefined || s.users !== undefined, { message: 'firstUser needs users', path: ['firstUser'] })
  .refine((s) => (s.forgeryKinds ?? []).every((k) => (s.provider === 'yookassa' ? YOOKASSA_FORGERIES : CRYPTOPAY_FORGERIES).some((known) => known === k)), {
    message: `a forgery this provider's simulator cannot send: yookassa knows ${YOOKASSA_FORGERIES.join(', ')}; cryptopay knows ${CRYPTOPAY_FORGERIES.join(', ')}`,
    path: ['forgeryKinds'],
  });

/** Virtual Telegram users asking the bot for a top-up (/topup AMOUNT): the bot creates the payment at the provider and answers with a link or an error. */
export const PaymentsLoadSchema = z
  .object({
    driver: z.literal('payments'),
    users: z.number().int().min(1).max(20_000).describe('How many virtual users ask for a top-up.'),
    firstUser: z.number().int().min(1).default(1).describe('Number of the first virtual user.'),
    arrival: z.enum(['burst', 'rate']).default('rate').describe('burst: every user at once; rate: users start at `rate` per second.'),
    rate: z.number().positive().max(2000).default(5).describe('Users starting per second with arrival: rate.'),
    topups: z.number().int().min(1).max(100).default(1).describe('Top-ups each user asks for, one after the other reply.'),
    amount: z.number().positive().max(1_000_000).default(100).describe('Amount the user types, in major units (/topup 100).'),
    replyTimeout: duration.default('10s'),
  })
  .strict();

export const LoadSchema = z.discriminatedUnion('driver', [HttpLoadSchema, TelegramLoadSchema, WebhooksLoadSchema, PaymentsLoadSchema]);

/** A network fault on one dependency's Toxiproxy proxy. */
export const ToxiproxyFaultSchema = z
  .object({
    driver: z.literal('toxiproxy'),
    proxy: name.describe('The proxy in front of a dependency: postgres, telegram, yookassa, cryptopay.'),
    toxic: z.enum(['latency', 'timeout', 'reset_peer', 'down']).describe('"down" disables the proxy: new and open connections fail.'),
    latency: duration.optional().describe('latency: added delay.'),
    jitter: duration.optional().describe('latency: random extra delay, up to this much.'),
    timeout: duration.optional().describe('timeout / reset_peer: close the connection after this long (0ms = hold it open for timeout).'),
    stream: z.enum(['upstream', 'downstream']).default('downstream'),
    toxicity: z.number().min(0).max(1).default(1).describe('Share of connections affected.'),
  })
  .strict();

/** One of the target's instances (1-based; a stack runs at most 4), where a step can name one. */
function targetInstance(description: string) {
  return z.number().int().min(1).max(4).optional().describe(description);
}

/** A fault on a whole service of the stack: a process in local mode, a container in docker mode. */
export const ServiceFaultSchema = z
  .object({
    driver: z.literal('service'),
    service: z.enum(['postgres', 'toxiproxy', 'target', 'telegram', 'yookassa', 'cryptopay']).describe('The stack service to act on (telegram, yookassa, cryptopay are the simulators).'),
    action: z.enum(['stop', 'restart', 'pause', 'kill']).describe('stop/kill: down until reverted; pause: frozen until reverted; restart: stop then start.'),
    instance: targetInstance('service target only: act on this one instance (1-based) when the target runs as several; without it every instance is hit.'),
  })
  .strict()
  .refine((f) => f.instance === undefined || f.service === 'target', { message: 'only the target runs as several instances', path: ['instance'] });

/**
 * A fault inside one of the simulated outside services, through its control API:
 * slowness, a hang, forced errors (e.g. Telegram 429 with retry_after), flood
 * limits, a user who blocked the bot. Reverting restores the simulator's normal behaviour.
 */
export const SimFaultSchema = z
  .object({
    driver: z.literal('sim'),
    sim: z.enum(['telegram', 'yookassa', 'cryptopay']),
    action: z
      .enum(['latency', 'hang', 'errors', 'flood', 'block-user'])
      .describe('latency: every API call waits; hang: calls are held until reverted; errors: the next `count` calls fail with `status`; flood (telegram): scale the flood limits; block-user (telegram): the user blocked the bot.'),
    latency: duration.optional().describe('latency: added to every API call.'),
    jitter: duration.optional().describe('latency: random extra, up to this much.'),
    status: z.number().int().min(400).max(599).optional().describe('errors: the HTTP status / error code to answer with (e.g. 429, 500, 503).'),
    count: z.number().int().min(1).max(100_000).optional().describe('errors: how many calls fail (default 1).'),
    retryAfter: z.number().int().min(1).max(3600).optional().describe('errors with 429 on telegram: the retry_after in seconds.'),
    methods: z.array(z.string()).optional().describe('errors: only these API methods fail (e.g. sendMessage).'),
    processed: z
      .boolean()
      .optional()
      .describe('errors on yookassa or cryptopay: the call does its work first, then fails: the provider acted but its answer was lost (a retry with the same idempotence key finds the result).'),
    scale: z.number().positive().max(100_000).optional().describe('flood: multiplier on every Telegram flood limit (10 = ten times as many messages).'),
    floodEnabled: z.boolean().optional().describe('flood: false turns the limits off.'),
    user: z.number().int().min(1).optional().describe('block-user: the virtual user number.'),
  })
  .strict()
  .refine((f) => (f.action !== 'flood' && f.action !== 'block-user') || f.sim === 'telegram', {
    message: 'flood and block-user exist only on the telegram simulator',
  })
  .refine((f) => f.processed !== true || (f.action === 'errors' && f.sim !== 'telegram'), {
    message: 'processed applies to errors on the yookassa and cryptopay simulators',
  });

/**
 * A fault inside the target itself, through its /_control API (needs the stack's control
 * token): scheduler-stop is the seed's `scheduler.shutdown()` (C3). Reverting starts the
 * scheduler again.
 */
export const TargetFaultSchema = z
  .object({
    driver: z.literal('target'),
    action: z.enum(['scheduler-stop']).describe('scheduler-stop: POST /_control/scheduler/stop; the revert POSTs /_control/scheduler/start.'),
  })
  .strict();

export const FaultSchema = z.discriminatedUnion('driver', [ToxiproxyFaultSchema, ServiceFaultSchema, SimFaultSchema, TargetFaultSchema]);

/** The target's scheduled jobs a scenario can run on demand. */
export const TARGET_JOBS = ['habit_reminders', 'analytics_refresh', 'health_check'] as const;

/**
 * A one-shot action on the target, nothing to revert: run-job runs one scheduled job now
 * through the target's /_control API (the scheduler's own one-instance rule and job-store
 * lease still apply) and waits for it to finish.
 */
export const TargetActionSchema = z
  .object({
    driver: z.literal('target'),
    action: z.literal('run-job').describe('run-job: POST /_control/jobs/<job>/run and wait for the outcome.'),
    job: z.enum(TARGET_JOBS),
    slot: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$|^\d{4}-\d{2}-\d{2}T[0-9:.]+Z$/, { message: 'a slot is "HH:MM" (today, UTC) or an ISO instant ending in Z' })
      .optional()
      .describe('The due minute the run serves (habit_reminders): "HH:MM" is today at that UTC time. Default: now.'),
    timeout: duration.default('120s').describe('How long to wait for the job to finish.'),
    instance: targetInstance('Ask this target instance (1-based) when the target runs as several; without it the request goes through HAProxy to whichever instance it picks.'),
  })
  .strict();

export const ActionSchema = z.discriminatedUnion('driver', [TargetActionSchema]);

export const StepSchema = z
  .object({
    name: name.describe('Unique within the scenario; windows and expectations refer to it.'),
    at: duration.default('0s').describe('When the step starts, from the start of the timeline.'),
    for: duration.optional().describe('How long a load runs or a fault stays in place. A fault without it is reverted at the end of the timeline.'),
    load: LoadSchema.optional(),
    fault: FaultSchema.optional(),
    action: ActionSchema.optional(),
  })
  .strict()
  .refine((step) => [step.load, step.fault, step.action].filter((part) => part !== undefined).length === 1, {
    message: 'a step has exactly one of "load", "fault" or "action"',
  })
  .refine((step) => step.action === undefined || step.for === undefined, {
    message: 'an action step has no "for": it lasts until the action finishes',
    path: ['for'],
  });

export const HttpProbeSchema = z
  .object({
    name,
    kind: z.literal('http'),
    path: urlPath,
    every: interval.default('250ms').describe('Sampling interval on the run clock.'),
    timeout: duration.default('2s').describe('A sample slower than this is recorded as a timeout.'),
  })
  .strict();

/**
 * A number read from PostgreSQL directly (never through the proxy): the first column of the
 * first row. A scenario judges only its own rows: a query over a whole table would count what
 * earlier runs left behind (a sabotaged run's double credits, say), so such a query takes
 * `since: run` and filters on the run's start.
 */
export const SqlProbeSchema = z
  .object({
    name,
    kind: z.literal('sql'),
    query: z.string().min(1).describe('A read-only query whose first column of the first row is a number, e.g. SELECT count(*) FROM …'),
    since: z
      .enum(['run', 'absolute'])
      .default('absolute')
      .describe('run: the query gets $1, the instant this run started (timestamptz), to count only rows the run wrote (WHERE created_at >= $1), so what earlier runs left does not count; absolute: no parameter.'),
    every: interval.default('1s'),
    timeout: duration.default('2s'),
  })
  .strict()
  .refine((p) => /\$1\b/.test(p.query) === (p.since === 'run'), {
    message: 'with since: run the query uses $1 (the instant the run started); without it the query takes no parameter',
    path: ['query'],
  });

/** A number scraped from the target's GET /metrics: the sum of every series of the metric matching the labels. */
export const MetricsProbeSchema = z
  .object({
    name,
    kind: z.literal('metrics'),
    metric: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, { message: 'a Prometheus metric name' }),
    labels: z.record(z.string(), z.string()).default({}).describe('Only series with these label values count.'),
    path: urlPath.default('/metrics'),
    instance: targetInstance('Scrape only this target instance (1-based). Without it, when the target runs as several instances, each one is scraped and the values added (counters of the whole service).'),
    since: z
      .enum(['run', 'absolute'])
      .default('absolute')
      .describe('absolute: as scraped; run: minus the value at the first sample of this run (counters of a target process that outlives one run).'),
    every: interval.default('1s'),
    timeout: duration.default('2s'),
  })
  .strict();

/**
 * A number from the Telegram simulator's sent log: how many messages the bot sent to one
 * chat since the run clock started, optionally only those whose text contains a string
 * (e.g. admin alerts: chat 100000999, "[CRITICAL]").
 */
export const TelegramSentProbeSchema = z
  .object({
    name,
    kind: z.literal('telegram-sent'),
    chatId: z.number().int().optional().describe('One chat: a virtual user n has chat id 100000000 + n (the admin, user 999, is 100000999). Without it and without a range: every chat.'),
    chatIdFrom: z.number().int().optional().describe('With chatIdTo: count the chats in this inclusive range.'),
    chatIdTo: z.number().int().optional(),
    contains: z.string().min(1).optional().describe('Only records whose text contains this (case-sensitive).'),
    method: z.string().regex(/^[a-zA-Z]+$/, { message: 'a Bot API method such as sendMessage' }).default('sendMessage'),
    ok: z.boolean().default(true).describe('true: only calls Telegram accepted; false: only refused ones.'),
    every: interval.default('500ms'),
    timeout: duration.default('2s'),
  })
  .strict()
  .refine((p) => (p.chatIdFrom === undefined) === (p.chatIdTo === undefined), { message: 'chatIdFrom and chatIdTo go together' })
  .refine((p) => p.chatId === undefined || p.chatIdFrom === undefined, { message: 'use chatId or a chatIdFrom/chatIdTo range, not both' })
  .refine((p) => p.chatIdFrom === undefined || p.chatIdTo === undefined || p.chatIdFrom <= p.chatIdTo, { message: 'chatIdFrom is at most chatIdTo' });

/**
 * A number from a simulator's control API (GET /_sim/counters by default): a field of its
 * JSON answer, by dot path (e.g. idempotent_replays, requests.create). With `since: run`
 * the value counts from the probe's first sample of the run, so counters the simulator
 * kept from earlier runs on the same stack do not count.
 */
export const SimProbeSchema = z
  .object({
    name,
    kind: z.literal('sim'),
    sim: z.enum(['telegram', 'yookassa', 'cryptopay']),
    path: urlPath.default('/_sim/counters').describe('A GET route of the simulator\'s control API.'),
    field: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/, { message: 'a dot path such as requests.create' })
      .describe('Where the number is in the JSON answer.'),
    since: z.enum(['run', 'absolute']).default('run').describe('run: minus the value at the first sample of this run; absolute: as read.'),
    every: interval.default('1s'),
    timeout: duration.default('2s'),
  })
  .strict();

export const ProbeSchema = z.discriminatedUnion('kind', [HttpProbeSchema, SqlProbeSchema, MetricsProbeSchema, TelegramSentProbeSchema, SimProbeSchema]);

/** What one probe sample must satisfy. Every field given must hold. */
export const ConditionSchema = z
  .object({
    status: z.number().int().min(100).max(599).optional().describe('HTTP status equals this.'),
    latencyBelow: duration.optional().describe('The sample answered faster than this.'),
    valueEquals: z.number().optional().describe('sql/metrics probes: the value equals this.'),
    valueAtMost: z.number().optional().describe('sql/metrics probes: the value is at most this.'),
    valueAtLeast: z.number().optional().describe('sql/metrics probes: the value is at least this.'),
  })
  .strict()
  .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'a condition needs at least one of status, latencyBelow, valueEquals, valueAtMost, valueAtLeast' });

/** A slice of the run clock. Without during/after it is the whole timeline. */
export const WindowSchema = z
  .object({
    during: name.optional().describe('While this fault step is in place (from applied to reverted).'),
    after: name.optional().describe('From the moment this fault step was reverted.'),
    within: duration.optional().describe('Only with "after": the window ends this long after the revert.'),
    skipFirst: duration.optional().describe('Ignore samples in the first part of the window (settling time).'),
  })
  .strict()
  .refine((w) => !(w.during !== undefined && w.after !== undefined), { message: 'use "during" or "after", not both' })
  .refine((w) => w.within === undefined || w.after !== undefined, { message: '"within" goes with "after"' });

const expectationBase = {
  id: name.optional().describe('Stable id for reports and JUnit; derived from the kind when absent.'),
  clause: z.string().min(1).describe('The seed row this proves, e.g. L11, C1, §3 DB, §4 DB down.'),
  text: z.string().min(1).describe("The seed's own words this expectation proves."),
};

export const LatencyExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('latency'),
    load: name.describe('The load step whose latency is measured.'),
    percentile: z.literal([50, 90, 95, 99, 100]).default(95).describe('Which percentile: 50, 90, 95, 99, or 100 for the maximum.'),
    below: duration,
  })
  .strict();

export const ErrorsExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('errors'),
    load: name,
    max: z.number().int().min(0).default(0).describe('Most failed requests allowed (non-2xx, timeouts, socket errors).'),
  })
  .strict();

export const ProbeExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('probe'),
    probe: name,
    window: WindowSchema.default({}),
    mode: z
      .enum(['always', 'eventually', 'never'])
      .default('always')
      .describe('always: every sample in the window; eventually: at least one; never: none.'),
    condition: ConditionSchema,
    minSamples: z.number().int().min(1).default(3).describe('Fewer samples in the window is a failed expectation, not a pass.'),
  })
  .strict();

/** Checked once, after every fault was reverted and the steady state re-checked: invariants such as "no payment credited twice". */
export const FinalExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('final'),
    probe: name,
    condition: ConditionSchema,
  })
  .strict();

/** How an action step ended: its outcome is one of `outcome`, and it took less than `durationBelow`. */
export const ActionExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('action'),
    step: name.describe('The action step.'),
    outcome: z.array(z.string().min(1)).min(1).default(['ok']).describe('Acceptable outcomes, e.g. ok, skipped, failed, busy.'),
    durationBelow: duration.optional().describe('The action finished faster than this.'),
  })
  .strict();

export const ExpectationSchema = z.discriminatedUnion('kind', [
  LatencyExpectationSchema,
  ErrorsExpectationSchema,
  ProbeExpectationSchema,
  FinalExpectationSchema,
  ActionExpectationSchema,
]);

/** SQL run on the harness's own connection (never through a proxy): data a scenario needs, and its removal. */
export const FixtureSchema = z
  .object({
    name,
    sql: z.string().min(1).describe('One or more statements, run as one simple query without parameters.'),
  })
  .strict();

export const SteadyCheckSchema = z
  .object({
    probe: name,
    condition: ConditionSchema,
    within: duration.default('15s').describe('Keep sampling until the condition holds, at most this long.'),
  })
  .strict();

/**
 * A brake (AWS FIS stop conditions, k6's abortOnFail): when one holds for `for` without a
 * break, the timeline stops, every fault is reverted, and the verdict is "aborted".
 */
export const StopConditionSchema = z
  .object({
    id: name.optional().describe('Stable id for the report; derived from the position when absent.'),
    probe: name.optional().describe('Watch this probe: the brake holds while its samples do NOT meet `unmet`.'),
    unmet: ConditionSchema.optional().describe('With probe: the condition whose failure, sample after sample, stops the run (e.g. { status: 200 }).'),
    load: name.optional().describe('Watch this load step: the brake holds while each of its seconds has an error rate above `errorRateAbove`.'),
    errorRateAbove: z.number().min(0).max(100).optional().describe('With load: percent of the second\'s requests that failed (0–100).'),
    for: duration.default('0s').describe('How long it must hold without a break before the run stops.'),
  })
  .strict()
  .refine((c) => (c.probe !== undefined) !== (c.load !== undefined), { message: 'a stop condition watches one probe or one load step: give "probe" or "load"' })
  .refine((c) => c.probe === undefined || c.unmet !== undefined, { message: 'a probe stop condition needs "unmet": the condition whose failure stops the run' })
  .refine((c) => c.load === undefined || c.errorRateAbove !== undefined, { message: 'a load stop condition needs "errorRateAbove" (percent)' })
  .refine((c) => c.probe !== undefined || c.unmet === undefined, { message: '"unmet" goes with "probe"' })
  .refine((c) => c.load !== undefined || c.errorRateAbove === undefined, { message: '"errorRateAbove" goes with "load"' });

export const ScenarioSchema = z
  .object({
    $schema: z.string().optional(),
    id: z.string().regex(/^[A-Z][A-Z0-9_-]*$/, { message: 'an id is upper-case, e.g. L11 or C1' }),
    title: z.string().min(1),
    kind: z.enum(['load', 'chaos']),
    description: z.string().optional(),
    covers: z.array(z.string().min(1)).min(1).describe('Seed rows this scenario proves.'),
    catches: z
      .array(z.string().min(1))
      .default([])
      .describe('Sabotage switches of the target this scenario must catch: with any one of them on, the scenario fails (`chaosctl prove`).'),
    target: z
      .object({
        env: z.record(z.string(), z.string()).default({}).describe('Target configuration overrides for this run; the report lists them.'),
        instances: z
          .number()
          .int()
          .min(1)
          .max(4)
          .optional()
          .describe('Target processes (default 1). More than one share PostgreSQL and a Redis (shared rate limit), take Telegram updates by webhook, and get every request through HAProxy (round robin). `--instances N` overrides it.'),
      })
      .strict()
      .default({ env: {} }),
    fixtures: z
      .object({
        setup: z.array(FixtureSchema).default([]).describe('Run in order before the steady-state check.'),
        teardown: z.array(FixtureSchema).default([]).describe('Run after the verdict, also when the run failed or was interrupted.'),
      })
      .strict()
      .default({ setup: [], teardown: [] }),
    probes: z.array(ProbeSchema).default([]),
    steadyState: z.array(SteadyCheckSchema).default([]).describe('Checked before the timeline and again after every fault is reverted.'),
    timeline: z
      .object({
        duration: duration.optional().describe('Total length; defaults to the end of the last step.'),
        steps: z.array(StepSchema).min(1),
      })
      .strict(),
    expect: z.array(ExpectationSchema).min(1),
    abortWhen: z
      .array(StopConditionSchema)
      .default([])
      .describe('Stop conditions: when one holds, the timeline stops, every fault is reverted and the verdict is "aborted" (exit 1).'),
    profiles: z
      .record(name, z.record(z.string(), z.unknown()))
      .default({})
      .describe('Named variants (e.g. full: the seed\'s full size), merged over this scenario by `chaosctl run --profile NAME`.'),
  })
  .strict();

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Step = z.output<typeof StepSchema>;
export type LoadSpec = z.output<typeof LoadSchema>;
export type HttpLoadSpec = z.output<typeof HttpLoadSchema>;
export type TelegramLoadSpec = z.output<typeof TelegramLoadSchema>;
export type TelegramAction = z.output<typeof TelegramActionSchema>;
export type WebhooksLoadSpec = z.output<typeof WebhooksLoadSchema>;
export type PaymentsLoadSpec = z.output<typeof PaymentsLoadSchema>;
export type FaultSpec = z.output<typeof FaultSchema>;
export type ToxiproxyFaultSpec = z.output<typeof ToxiproxyFaultSchema>;
export type ServiceFaultSpec = z.output<typeof ServiceFaultSchema>;
export type SimFaultSpec = z.output<typeof SimFaultSchema>;
export type TargetFaultSpec = z.output<typeof TargetFaultSchema>;
export type ActionSpec = z.output<typeof ActionSchema>;
export type TargetActionSpec = z.output<typeof TargetActionSchema>;
export type Fixture = z.output<typeof FixtureSchema>;
export type ProbeSpec = z.output<typeof ProbeSchema>;
export type HttpProbeSpec = z.output<typeof HttpProbeSchema>;
export type SqlProbeSpec = z.output<typeof SqlProbeSchema>;
export type MetricsProbeSpec = z.output<typeof MetricsProbeSchema>;
export type TelegramSentProbeSpec = z.output<typeof TelegramSentProbeSchema>;
export type SimProbeSpec = z.output<typeof SimProbeSchema>;
export type Condition = z.output<typeof ConditionSchema>;
export type Window = z.output<typeof WindowSchema>;
export type Expectation = z.output<typeof ExpectationSchema>;
export type SteadyCheck = z.output<typeof SteadyCheckSchema>;
export type StopCondition = z.output<typeof StopConditionSchema>;

/** The JSON Schema editors use (scenarios/schema.json), derived from ScenarioSchema. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://chaosctl.dev/schema/scenario.json', title: 'chaosctl scenario' };
}
