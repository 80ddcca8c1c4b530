/**
 * Payment provider notifications at a fixed rate (L9, L10, C7, C8): each
 * delivery is a real payment flow. The driver creates the payment at the
 * provider simulator and the matching pending payment straight in PostgreSQL,
 * as the target would have, then has the simulator deliver: the user pays
 * (genuine), the same notification again (duplicate), or one the provider
 * never sent (forged, about a payment nobody paid: each kind the simulator
 * knows, in turn, with forgeryKinds). How the target answered
 * comes from the simulator's delivery log: the first attempt's status and the
 * target's response time. At the end the ledger is read back: a genuine
 * payment answered 200 but not credited, or a forged one credited, is an error.
 *
 * Whose payments: by default one fresh user of the driver's own, far from any
 * virtual user. With `users`, the payments belong to virtual users in turn
 * (firstUser, firstUser+1, …), so a top-up can land while the same user is
 * busy in the bot (L10: top-up and subscription in the same window).
 */
import { randomInt } from 'node:crypto';
import pg from 'pg';
import { formatMs, toMs } from '../../core/duration.ts';
import type { LoadRecord } from '../../core/journal.ts';
import { z } from 'zod';
import { duration } from '../../core/scenario-schema.ts';
import { CRYPTOPAY_FORGERIES, PaymentSimClient, YOOKASSA_FORGERIES, type Delivery, type ForgeryKind } from './payment-sim-client.ts';
import { LoadTally, NO_PACING } from './load-tally.ts';
import type { LoadDriver, LoadRun } from './types.ts';

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
export type WebhooksLoadSpec = z.output<typeof WebhooksLoadSchema>;

export type DeliveryKind = 'genuine' | 'duplicate' | 'forged';

/** Outcome keys in a webhooks load record's statusCounts. */
export const WEBHOOK_OUTCOMES = [
  'credited_200',
  'duplicate_200',
  'forged_400',
  'genuine_failed',
  'duplicate_failed',
  'forged_accepted',
  'forged_other',
  'no_answer',
  'setup_error',
  'not_credited',
  'forged_credited',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

const OK_OUTCOMES: ReadonlySet<WebhookOutcome> = new Set(['credited_200', 'duplicate_200', 'forged_400']);

/** Which outcomes count as errors: everything but a genuine or duplicate answered 200 and a forgery refused with 400. */
export function isWebhookError(outcome: WebhookOutcome): boolean {
  return !OK_OUTCOMES.has(outcome);
}

/** The outcome of one delivery from the status of the target's first answer (null: no answer at all). */
export function classifyDelivery(kind: DeliveryKind, status: number | null): WebhookOutcome {
  if (status === null) return 'no_answer';
  if (kind === 'forged') return status === 400 ? 'forged_400' : status >= 200 && status < 300 ? 'forged_accepted' : 'forged_other';
  if (status === 200) return kind === 'genuine' ? 'credited_200' : 'duplicate_200';
  return kind === 'genuine' ? 'genuine_failed' : 'duplicate_failed';
}

/** How many deliveries a step of this length sends (at least one). */
export function deliveryCount(rate: number, durationMs: number): number {
  return Math.max(1, Math.floor((durationMs * rate) / 1000 + 1e-9));
}

/** Start offset (ms from the step start) of the i-th delivery. */
export function deliveryOffsetMs(rate: number, index: number): number {
  return (index * 1000) / rate;
}

/**
 * The kind of each delivery, deterministic and evenly spread: after i
 * deliveries, round(i × share) of them are forged and as many duplicates,
 * forgeries first when both are due; a duplicate needs a genuine one before
 * it, so the first delivery is always genuine.
 */
export function planDeliveries(count: number, duplicates: number, forgeries: number): DeliveryKind[] {
  const plan: DeliveryKind[] = [];
  let duplicated = 0;
  let forged = 0;
  let genuine = 0;
  for (let i = 1; i <= count; i += 1) {
    if (forged < Math.round(i * forgeries)) {
      forged += 1;
      plan.push('forged');
    } else if (genuine > 0 && duplicated < Math.round(i * duplicates)) {
      duplicated += 1;
      plan.push('duplicate');
    } else {
      genuine += 1;
      plan.push('genuine');
    }
  }
  return plan;
}

/** The virtual users (numbers) paid for, in delivery order; empty: the driver's own fresh user. */
export function payingUsers(spec: Pick<WebhooksLoadSpec, 'users' | 'firstUser'>): number[] {
  if (spec.users === undefined) return [];
  const first = spec.firstUser ?? 1;
  return Array.from({ length: spec.users }, (_, i) => first + i);
}

/**
 * Whose payment each delivery of the plan is: an index into the paying users,
 * who take turns by new payment. A duplicate repeats an earlier payment (null)
 * and takes no turn, so it cannot leave a user without top-ups.
 */
export function payerTurns(plan: readonly DeliveryKind[], users: number): Array<number | null> {
  let turn = 0;
  return plan.map((kind) => (kind === 'duplicate' ? null : turn++ % users));
}

/**
 * For concurrentDuplicates: how many duplicates each delivery of the plan sends at once,
 * right behind it. Each duplicate belongs to the latest genuine delivery before it, so the
 * plan's counts stay exact and only the timing changes.
 */
export function duplicatesAtOnce(plan: readonly DeliveryKind[]): number[] {
  const copies = plan.map(() => 0);
  let original = -1;
  for (const [index, kind] of plan.entries()) {
    if (kind === 'genuine') original = index;
    else if (kind === 'duplicate' && original >= 0) copies[original] = (copies[original] ?? 0) + 1;
  }
  return copies;
}

/** Telegram id of virtual user n, as the Telegram simulator gives it. */
export function virtualTelegramId(n: number): number {
  return 100_000_000 + n;
}

function describe(spec: WebhooksLoadSpec): string {
  const shares = [
    spec.duplicates > 0 ? `${Math.round(spec.duplicates * 100)}% duplicates${spec.concurrentDuplicates ? ' sent at the same moment as their original' : ''}` : '',
    spec.forgeries > 0 ? `${Math.round(spec.forgeries * 100)}% forged${spec.forgeryKinds ? `: ${spec.forgeryKinds.join(', ')} in turn` : ''}` : '',
    spec.copiesAtOnce > 1 ? `each genuine one sent ${spec.copiesAtOnce}× at once` : '',
  ].filter(Boolean);
  const users = payingUsers(spec);
  const whose = users.length > 0 ? `, paid for virtual users ${users[0]}–${users[users.length - 1]}` : '';
  return `Webhooks: ${spec.provider} notifications at ${Math.round(spec.rate * 600) / 10}/min${shares.length ? ` (${shares.join(', ')})` : ''}, ${(spec.amount / 100).toFixed(2)} ${spec.currency} each${whose}, answer timeout ${formatMs(toMs(spec.answerTimeout))}`;
}

const POLL_MS = 100;

/** Telegram ids the driver's users get: far above any virtual user (100 000 000 + n). */
function freshTelegramId(): number {
  return 9_000_000_000_000 + (Date.now() % 1_000_000_000) * 1000 + randomInt(1000);
}

export const webhooksLoadDriver: LoadDriver<typeof WebhooksLoadSchema> = {
  schema: WebhooksLoadSchema,
  describe,

  start(step, spec, durationMs, ctx): LoadRun {
    const sim = new PaymentSimClient(spec.provider, ctx.endpoints);
    const answerTimeoutMs = toMs(spec.answerTimeout);
    const tally = new LoadTally(step, ctx.clock, ctx.bus, NO_PACING);
    const startedMs = tally.startedMs;
    let driverError: string | undefined;
    const stop = new AbortController();
    const pool = new pg.Pool({ connectionString: ctx.endpoints.databaseUrl, max: 4, connectionTimeoutMillis: 3000, application_name: 'chaosctl-webhooks' });
    pool.on('error', () => undefined); // a dropped idle connection is expected while faults run
    /** Our payment ids, by kind, for the ledger check at the end (genuine: only those answered 200). */
    const answeredGenuine: number[] = [];
    const forgedPayments: number[] = [];

    const count = (outcome: WebhookOutcome, latencyMs?: number): void => tally.outcome(outcome, isWebhookError(outcome), latencyMs);
    const ticker = setInterval(() => tally.tick(), 250);

    const createUser = async (): Promise<number> => {
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO users (telegram_id, username, first_name) VALUES ($1, 'chaosctl_webhooks', 'chaosctl webhooks load') RETURNING id`,
        [freshTelegramId()],
      );
      return Number(rows[0]?.id);
    };

    /**
     * users.id of each virtual user paid for, in delivery order. A user the bot
     * has not seen yet is registered as the bot would (same profile as the
     * Telegram simulator's); an existing row is left untouched, not even locked.
     */
    const virtualUserIds = async (numbers: number[]): Promise<number[]> => {
      const telegramIds = numbers.map(virtualTelegramId);
      await pool.query(
        `INSERT INTO users (telegram_id, username, first_name)
         SELECT t, 'sim_user_' || (t - 100000000), 'User ' || (t - 100000000) FROM unnest($1::bigint[]) t
         ON CONFLICT ON CONSTRAINT users_telegram_id_unique DO NOTHING`,
        [telegramIds],
      );
      const { rows } = await pool.query<{ id: string; telegram_id: string }>('SELECT id, telegram_id FROM users WHERE telegram_id = ANY($1::bigint[])', [telegramIds]);
      const byTelegramId = new Map(rows.map((r) => [Number(r.telegram_id), Number(r.id)]));
      return telegramIds.map((t) => {
        const id = byTelegramId.get(t);
        if (id === undefined) throw new Error(`virtual user ${t - 100_000_000} has no row in users`);
        return id;
      });
    };

    /** A payment known to both the provider and the target's database, still pending. */
    const createPayment = async (userId: number): Promise<{ providerId: string; paymentId: number }> => {
      const created = await sim.createPayment(spec.amount, spec.currency);
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO payments (idempotency_key, user_id, provider, provider_payment_id, amount, currency, purpose)
         VALUES ($1, $2, $3, $4, $5, $6, 'topup') RETURNING id`,
        [created.idempotencyKey, userId, spec.provider, created.providerId, spec.amount, spec.currency],
      );
      return { providerId: created.providerId, paymentId: Number(rows[0]?.id) };
    };

    /** Polls the delivery log until the delivery's first attempt has an answer (or none came in time). */
    const firstAttempt = async (providerId: string, deliveryId: string): Promise<Delivery['attempts'][number] | null> => {
      const deadline = ctx.clock.now() + answerTimeoutMs;
      while (ctx.clock.now() < deadline) {
        const delivery = (await sim.deliveries(providerId).catch(() => [])).find((d) => d.id === deliveryId);
        const attempt = delivery?.attempts[0];
        if (attempt) return attempt;
        await ctx.clock.sleep(POLL_MS);
      }
      return null;
    };

    const inFlight = new Set<Promise<void>>();
    let latestPaid: { providerId: string } | null = null;
    /** Forged deliveries so far: the next one sends forgeryKinds[forged % length]. */
    let forged = 0;
    const track = (done: Promise<void>): void => {
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
    };

    /** The same notification again, judged like any delivery: answered 200, and (checked at the end) no second credit. */
    const resend = async (providerId: string): Promise<void> => {
      let deliveryId: string;
      try {
        deliveryId = await sim.duplicate(providerId);
      } catch {
        count('setup_error');
        return;
      }
      const attempt = await firstAttempt(providerId, deliveryId);
      count(classifyDelivery('duplicate', attempt ? attempt.status : null), attempt && attempt.status !== null ? attempt.latency_ms : undefined);
    };

    /**
     * userId: whose new payment this is; null for a duplicate, which repeats an earlier one.
     * concurrentCopies: duplicates of this genuine notification to send at once, right behind it
     * (concurrentDuplicates), so they reach the target while it is still crediting the original.
     */
    const deliver = async (kind: DeliveryKind, userId: number | null, concurrentCopies = 0): Promise<void> => {
      tally.sent();
      let providerId: string;
      let deliveryId: string;
      let paymentId: number | null = null;
      let atOnce: Promise<string[]> = Promise.resolve([]);
      try {
        if (kind === 'duplicate') {
          if (!latestPaid) throw new Error('no genuine notification to duplicate yet');
          providerId = latestPaid.providerId;
          deliveryId = await sim.duplicate(providerId);
        } else {
          if (userId === null) throw new Error('a new payment needs its user');
          const payment = await createPayment(userId);
          providerId = payment.providerId;
          paymentId = payment.paymentId;
          if (kind === 'genuine') {
            deliveryId = await sim.pay(providerId);
            latestPaid = { providerId };
            for (let copy = 0; copy < concurrentCopies; copy += 1) {
              tally.sent();
              track(resend(providerId));
            }
            // The copies are asked for at once, while the original is still in flight.
            const paid = providerId;
            atOnce = Promise.all(Array.from({ length: spec.copiesAtOnce - 1 }, () => sim.duplicate(paid)));
          } else {
            forgedPayments.push(payment.paymentId);
            const kinds = spec.forgeryKinds;
            const forgery = await sim.forge(providerId, kinds ? kinds[forged++ % kinds.length] : undefined);
            deliveryId = forgery.deliveryId;
            // The delivery log files a forgery under the id it names (a made-up one for unknown-payment).
            providerId = forgery.subjectId;
          }
        }
      } catch {
        count('setup_error');
        return;
      }
      const copyIds = await atOnce.catch(() => null);
      const answer = async (id: string, as: DeliveryKind): Promise<WebhookOutcome> => {
        const attempt = await firstAttempt(providerId, id);
        const outcome = classifyDelivery(as, attempt ? attempt.status : null);
        count(outcome, attempt && attempt.status !== null ? attempt.latency_ms : undefined);
        return outcome;
      };
      const [outcome] = await Promise.all([
        answer(deliveryId, kind),
        ...(copyIds ?? []).map((id) => {
          tally.sent();
          return answer(id, 'duplicate');
        }),
      ]);
      if (copyIds === null) count('setup_error');
      if (outcome === 'credited_200' && paymentId !== null) answeredGenuine.push(paymentId);
    };

    const scheduler = (async () => {
      let userIds: number[];
      const virtual = payingUsers(spec);
      try {
        userIds = virtual.length > 0 ? await virtualUserIds(virtual) : [await createUser()];
      } catch (error) {
        driverError = `the webhooks load driver cannot ${virtual.length > 0 ? 'find or register its virtual users' : 'create its user'} in PostgreSQL: ${(error as Error).message}`;
        return;
      }
      const plan = planDeliveries(deliveryCount(spec.rate, durationMs), spec.duplicates, spec.forgeries);
      const turns = payerTurns(plan, userIds.length);
      const copies = spec.concurrentDuplicates ? duplicatesAtOnce(plan) : null;
      for (const [index, kind] of plan.entries()) {
        // Concurrent duplicates left their own slot: they went out with their original.
        if (copies && kind === 'duplicate') continue;
        await ctx.clock.until(startedMs + deliveryOffsetMs(spec.rate, index), stop.signal);
        if (stop.signal.aborted) break;
        const turn = turns[index];
        track(deliver(kind, turn === null || turn === undefined ? null : (userIds[turn] ?? null), copies?.[index] ?? 0));
      }
      // A genuine delivery still paying adds its concurrent duplicates to the set when it can.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    })();

    /** Genuine payments answered 200 must have exactly one credit; forged ones none. */
    const checkLedger = async (): Promise<void> => {
      const ids = [...answeredGenuine, ...forgedPayments];
      if (ids.length === 0) return;
      const { rows } = await pool.query<{ id: string; credits: string }>(
        'SELECT p.id, count(l.id) AS credits FROM payments p LEFT JOIN balance_ledger l ON l.payment_id = p.id WHERE p.id = ANY($1::bigint[]) GROUP BY p.id',
        [ids],
      );
      const credits = new Map(rows.map((r) => [Number(r.id), Number(r.credits)]));
      for (const id of answeredGenuine) if ((credits.get(id) ?? 0) === 0) count('not_credited');
      for (const id of forgedPayments) if ((credits.get(id) ?? 0) > 0) count('forged_credited');
    };

    let finishing: Promise<LoadRecord> | null = null;
    const finish = (): Promise<LoadRecord> =>
      (finishing ??= (async () => {
        // Deliveries already sent get their answer or time out; bounded either way.
        await Promise.race([scheduler.catch(() => undefined), ctx.clock.sleep(answerTimeoutMs + 2000)]);
        try {
          await checkLedger();
        } catch (error) {
          driverError ??= `the webhooks load driver cannot read the ledger back: ${(error as Error).message}`;
        }
        clearInterval(ticker);
        await pool.end().catch(() => undefined);
        return tally.finish(spec, describe(spec), driverError);
      })());

    return {
      finished: scheduler.then(finish, finish),
      stop() {
        stop.abort();
        return finish();
      },
    };
  },
};
