/**
 * Virtual Telegram users: each plays the scenario's script against the bot
 * through the Telegram simulator. Users arrive at a fixed rate (open model) or
 * all at once. A reply's latency runs from the update being injected to the
 * bot's answer being logged by the simulator (both on the simulator's clock).
 */
import { toMs, formatMs } from '../../engine/duration.ts';
import type { LoadRecord } from '../../engine/journal.ts';
import type { TelegramAction, TelegramLoadSpec } from '../../engine/scenario-schema.ts';
import { TelegramSimClient, type SentRecord, type UpdateKind } from './telegram-sim-client.ts';
import { LoadTally, NO_PACING } from './load-tally.ts';
import type { LoadDriver, LoadRun } from './types.ts';

/** Outcome keys in a telegram load record's statusCounts. */
export const OUTCOMES = ['replied', 'missing', 'unexpected', 'reply_error', 'inject_error', 'unchecked'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Which outcomes count as errors. */
export function isErrorOutcome(outcome: Outcome): boolean {
  return outcome === 'missing' || outcome === 'unexpected' || outcome === 'reply_error' || outcome === 'inject_error';
}

/** The control call and body for one action of user n. `{user}` in texts becomes n. */
export function actionRequest(action: TelegramAction, user: number): { kind: UpdateKind; body: Record<string, unknown> } {
  const fill = (text: string): string => text.replaceAll('{user}', String(user));
  if (action.command !== undefined) {
    return { kind: 'command', body: { user, command: action.command, ...(action.args ? { args: fill(action.args) } : {}) } };
  }
  if (action.callback !== undefined) return { kind: 'callback_query', body: { user, data: fill(action.callback) } };
  return { kind: 'message', body: { user, text: fill(action.message ?? '') } };
}

/** Start offset (ms from the step start) of the i-th user. */
export function arrivalOffsetMs(spec: TelegramLoadSpec, index: number): number {
  return spec.arrival === 'burst' ? 0 : (index * 1000) / spec.rate;
}

function describe(spec: TelegramLoadSpec): string {
  const who = `${spec.users} virtual user${spec.users === 1 ? '' : 's'}`;
  const when = spec.arrival === 'burst' ? 'all at once' : `arriving at ${spec.rate}/s`;
  const steps = spec.script
    .map((a) => `${a.command !== undefined ? `/${a.command.replace(/^\//, '')}` : a.callback !== undefined ? `tap ${a.callback}` : `"${a.message}"`}${a.repeat > 1 ? ` ×${a.repeat}` : ''}`)
    .join(' → ');
  return `Telegram: ${who} ${when}, each: ${steps} (reply timeout ${formatMs(toMs(spec.replyTimeout))})`;
}

/** Replies kept for updates whose inject call has not returned yet (a fast bot answers before it does). */
const MAX_EARLY_RECORDS = 10_000;

interface Pending {
  reply: TelegramAction['reply'];
  chatId: number;
  settle: (record: SentRecord | null) => void;
}

export const telegramLoadDriver: LoadDriver<TelegramLoadSpec> = {
  describe,

  start(step, spec, durationMs, ctx): LoadRun {
    const simUrl = ctx.endpoints.sims?.telegram;
    if (!simUrl) throw new Error('this stack has no Telegram simulator, so the telegram load driver cannot run');
    const client = new TelegramSimClient(simUrl);
    const replyTimeoutMs = toMs(spec.replyTimeout);
    const tally = new LoadTally(step, ctx.clock, ctx.bus, NO_PACING);
    const startedMs = tally.startedMs;
    const pending = new Map<number, Pending>();
    const early = new Map<number, SentRecord>();
    const stop = new AbortController();
    const streamStop = new AbortController();

    const outcome = (kind: Outcome, latencyMs?: number): void => tally.outcome(kind, isErrorOutcome(kind), latencyMs);

    const onRecord = (record: SentRecord): void => {
      const id = record.answers_update_id;
      const exact = id === null || id === undefined ? undefined : pending.get(id);
      if (exact && id !== null && id !== undefined) {
        pending.delete(id);
        exact.settle(record);
        return;
      }
      // The simulator attributes a message to the chat's latest update. When several updates
      // of a chat that should get no reply arrived together, a reply to any of them may be
      // attributed to the last: count it against the oldest such update still open.
      if (record.chat_id === null) return;
      for (const [updateId, waiting] of pending) {
        if (waiting.chatId === record.chat_id && waiting.reply === 'none') {
          pending.delete(updateId);
          waiting.settle(record);
          return;
        }
      }
      // Not claimed yet: the update's inject call may still be on its way back to us.
      if (id === null || id === undefined || early.has(id)) return;
      if (early.size >= MAX_EARLY_RECORDS) early.delete(early.keys().next().value as number);
      early.set(id, record);
    };

    /** Injects one update and waits for its reply (or the time to catch an unwanted one). */
    const act = async (action: TelegramAction, user: number): Promise<void> => {
      const { kind, body } = actionRequest(action, user);
      tally.sent();
      let updateId: number;
      let chatId: number;
      try {
        ({ update_id: updateId, chat_id: chatId } = await client.inject(kind, body));
      } catch {
        outcome('inject_error');
        return;
      }
      if (action.reply === 'any') {
        outcome('unchecked');
        return;
      }
      const reply = await new Promise<SentRecord | null>((resolve) => {
        const answeredAlready = early.get(updateId);
        if (answeredAlready) {
          early.delete(updateId);
          resolve(answeredAlready);
          return;
        }
        const timer = setTimeout(() => {
          pending.delete(updateId);
          resolve(null);
        }, replyTimeoutMs);
        pending.set(updateId, {
          reply: action.reply,
          chatId,
          settle: (record) => {
            clearTimeout(timer);
            resolve(record);
          },
        });
      });
      const latency = reply && reply.update_injected_at ? Math.max(0, reply.at - reply.update_injected_at) : undefined;
      if (action.reply === 'expected') {
        if (!reply) outcome('missing');
        else outcome(reply.ok ? 'replied' : 'reply_error', latency);
      } else {
        outcome(reply ? 'unexpected' : 'replied', latency);
      }
    };

    const playUser = async (user: number): Promise<void> => {
      for (const action of spec.script) {
        for (let i = 0; i < action.repeat; i += 1) {
          if (stop.signal.aborted) return;
          // With reply: none, the next message goes at once (a flood), and the check runs alongside.
          const done = act(action, user);
          inFlight.add(done);
          void done.finally(() => inFlight.delete(done));
          if (action.reply !== 'none') await done;
        }
        await ctx.clock.sleep(toMs(action.think), stop.signal);
      }
    };

    const stream = client.follow(streamStop.signal, onRecord, durationMs + replyTimeoutMs * 2 + 60_000);
    const users: Promise<void>[] = [];
    const inFlight = new Set<Promise<void>>();
    const scheduler = (async () => {
      await stream.ready;
      for (let index = 0; index < spec.users; index += 1) {
        await ctx.clock.until(startedMs + arrivalOffsetMs(spec, index), stop.signal);
        if (stop.signal.aborted) break;
        users.push(playUser(spec.firstUser + index));
      }
      await Promise.allSettled(users);
      await Promise.allSettled([...inFlight]);
    })();

    let record: LoadRecord | null = null;
    let finishing: Promise<LoadRecord> | null = null;
    const finish = (): Promise<LoadRecord> =>
      (finishing ??= (async () => {
        // Let every update already injected get its reply or time out, then close the stream.
        await Promise.race([scheduler.catch(() => undefined), ctx.clock.sleep(replyTimeoutMs + 1000)]);
        streamStop.abort();
        record = tally.finish(spec, describe(spec), driverError);
        return record;
      })());

    let driverError: string | undefined;
    const finished = scheduler.then(finish, (error: unknown) => {
      driverError = `the Telegram simulator's sent stream failed: ${(error as Error).message}`;
      return finish();
    });
    return {
      finished,
      stop() {
        stop.abort();
        return finish();
      },
    };
  },
};
