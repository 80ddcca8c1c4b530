/**
 * Concurrent create_payment through the bot (L8, C5): virtual Telegram users
 * send /topup AMOUNT through the Telegram simulator, on the virtual-user
 * engine (virtual-users.ts); the bot creates the payment at the provider and
 * answers with a confirmation link or an error text.
 */
import { formatMs, toMs } from '../../core/duration.ts';
import { z } from 'zod';
import { duration } from '../../core/scenario-schema.ts';
import type { SentRecord } from './telegram-sim-client.ts';
import type { LoadDriver, LoadRun } from './types.ts';
import { startVirtualUsers } from './virtual-users.ts';

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
export type PaymentsLoadSpec = z.output<typeof PaymentsLoadSchema>;

/** Outcome keys in a payments load record's statusCounts. */
export const TOPUP_OUTCOMES = ['link', 'topup_failed', 'other_reply', 'missing', 'reply_error', 'inject_error'] as const;
export type TopupOutcome = (typeof TOPUP_OUTCOMES)[number];

/** The bot's answer to /topup: "Pay here: <url>" is a created payment; anything else is not. */
export function classifyTopupReply(reply: Pick<SentRecord, 'ok' | 'text'> | null): TopupOutcome {
  if (!reply) return 'missing';
  if (!reply.ok) return 'reply_error';
  const text = reply.text ?? '';
  if (/^Pay here: \S+/.test(text)) return 'link';
  // The ways a bot says the payment was not made, this target's wording included (a
  // provider that timed out, was unavailable or refused: "No money was taken").
  if (/could not (create|be created)|payments? (are|is) (not available|unavailable)|payment service (did not answer|is unavailable)|no money was taken/i.test(text)) return 'topup_failed';
  return 'other_reply';
}

/** Only a link is a success. */
export function isTopupError(outcome: TopupOutcome): boolean {
  return outcome !== 'link';
}

function describe(spec: PaymentsLoadSpec): string {
  const when = spec.arrival === 'burst' ? 'all at once' : `arriving at ${spec.rate}/s`;
  return `Payments: ${spec.users} virtual user${spec.users === 1 ? '' : 's'} ${when}, each /topup ${spec.amount}${spec.topups > 1 ? ` ×${spec.topups}` : ''} (reply timeout ${formatMs(toMs(spec.replyTimeout))})`;
}

export const paymentsLoadDriver: LoadDriver<typeof PaymentsLoadSchema> = {
  schema: PaymentsLoadSchema,
  describe,

  start(step, spec, durationMs, ctx): LoadRun {
    return startVirtualUsers(step, spec, durationMs, ctx, {
      driver: 'payments',
      describe,
      // The link or the failure text is a message; nothing else the bot calls answers /topup.
      answers: (record) => record.method === 'sendMessage',
      async play(vu, tally) {
        for (let i = 0; i < spec.topups && !vu.stopped.aborted; i += 1) {
          const { injected, reply, latencyMs } = await vu.send('command', { user: vu.user, command: 'topup', args: String(spec.amount) }, 'reply');
          const outcome: TopupOutcome = injected ? classifyTopupReply(reply) : 'inject_error';
          tally.outcome(outcome, isTopupError(outcome), latencyMs);
        }
      },
    });
  },
};
