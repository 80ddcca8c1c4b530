/**
 * Concurrent create_payment through the bot (L8, C5): virtual Telegram users
 * send /topup AMOUNT through the Telegram simulator; the bot creates the
 * payment at the provider and answers with a confirmation link or an error
 * text. Latency runs from the update being injected to the bot's reply being
 * logged by the simulator (both on the simulator's clock).
 */
import { formatMs, toMs } from '../../engine/duration.ts';
import type { LoadRecord } from '../../engine/journal.ts';
import type { PaymentsLoadSpec } from '../../engine/scenario-schema.ts';
import { TelegramSimClient, type SentRecord } from './telegram-sim-client.ts';
import { LoadTally, NO_PACING } from './load-tally.ts';
import type { LoadDriver, LoadRun } from './types.ts';

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

/** Start offset (ms from the step start) of the i-th user. */
export function userOffsetMs(spec: PaymentsLoadSpec, index: number): number {
  return spec.arrival === 'burst' ? 0 : (index * 1000) / spec.rate;
}

function describe(spec: PaymentsLoadSpec): string {
  const when = spec.arrival === 'burst' ? 'all at once' : `arriving at ${spec.rate}/s`;
  return `Payments: ${spec.users} virtual user${spec.users === 1 ? '' : 's'} ${when}, each /topup ${spec.amount}${spec.topups > 1 ? ` ×${spec.topups}` : ''} (reply timeout ${formatMs(toMs(spec.replyTimeout))})`;
}

export const paymentsLoadDriver: LoadDriver<PaymentsLoadSpec> = {
  describe,

  start(step, spec, durationMs, ctx): LoadRun {
    const simUrl = ctx.endpoints.sims?.telegram;
    if (!simUrl) throw new Error('this stack has no Telegram simulator, so the payments load driver cannot run');
    const client = new TelegramSimClient(simUrl);
    const replyTimeoutMs = toMs(spec.replyTimeout);
    const tally = new LoadTally(step, ctx.clock, ctx.bus, NO_PACING);
    const startedMs = tally.startedMs;
    const pending = new Map<number, (record: SentRecord) => void>();
    const stop = new AbortController();
    const streamStop = new AbortController();

    const count = (outcome: TopupOutcome, latencyMs?: number): void => tally.outcome(outcome, isTopupError(outcome), latencyMs);

    const onRecord = (record: SentRecord): void => {
      if (record.method !== 'sendMessage') return;
      const id = record.answers_update_id;
      if (id === null || id === undefined) return;
      const settle = pending.get(id);
      if (!settle) return;
      pending.delete(id);
      settle(record);
    };

    const topup = async (user: number): Promise<void> => {
      tally.sent();
      let updateId: number;
      try {
        updateId = (await client.inject('command', { user, command: 'topup', args: String(spec.amount) })).update_id;
      } catch {
        count('inject_error');
        return;
      }
      const reply = await new Promise<SentRecord | null>((resolve) => {
        const timer = setTimeout(() => {
          pending.delete(updateId);
          resolve(null);
        }, replyTimeoutMs);
        pending.set(updateId, (record) => {
          clearTimeout(timer);
          resolve(record);
        });
      });
      const latency = reply?.update_injected_at ? Math.max(0, reply.at - reply.update_injected_at) : undefined;
      count(classifyTopupReply(reply), latency);
    };

    const playUser = async (user: number): Promise<void> => {
      for (let i = 0; i < spec.topups && !stop.signal.aborted; i += 1) await topup(user);
    };

    const stream = client.follow(streamStop.signal, onRecord, durationMs + replyTimeoutMs * 2 + 60_000);
    const users: Promise<void>[] = [];
    const scheduler = (async () => {
      await stream.ready;
      for (let index = 0; index < spec.users; index += 1) {
        await ctx.clock.until(startedMs + userOffsetMs(spec, index), stop.signal);
        if (stop.signal.aborted) break;
        users.push(playUser(spec.firstUser + index));
      }
      await Promise.allSettled(users);
    })();

    let driverError: string | undefined;
    let finishing: Promise<LoadRecord> | null = null;
    const finish = (): Promise<LoadRecord> =>
      (finishing ??= (async () => {
        // Top-ups already asked for get their reply or time out, then the stream closes.
        await Promise.race([scheduler.catch(() => undefined), ctx.clock.sleep(replyTimeoutMs + 1000)]);
        streamStop.abort();
        return tally.finish(spec, describe(spec), driverError);
      })());

    return {
      finished: scheduler.then(finish, (error: unknown) => {
        driverError = `the Telegram simulator's sent stream failed: ${(error as Error).message}`;
        return finish();
      }),
      stop() {
        stop.abort();
        return finish();
      },
    };
  },
};
