/**
 * The virtual-user engine both Telegram-driven loads run on: `telegram` plays a
 * scripted conversation, `payments` asks for /topup. Users arrive at a fixed
 * rate (open model) or all at once; each injects updates through the Telegram
 * simulator's control API and waits for the bot's answer on its sent stream. A
 * reply's latency runs from the update being injected to the answer being
 * logged (both on the simulator's clock).
 *
 * A fast bot can answer before the inject call has returned to us, so a reply
 * nobody is waiting for yet is kept, by update id, until its sender claims it.
 */
import { toMs } from '../../core/duration.ts';
import type { LoadRecord } from '../../core/journal.ts';
import type { StepSpec } from '../../core/scenario-schema.ts';
import { LoadTally, NO_PACING } from './load-tally.ts';
import { TelegramSimClient, type SentRecord, type UpdateKind } from './telegram-sim-client.ts';
import type { LoadContext, LoadRun } from './types.ts';

/** What both loads share in their schema: who plays, when they arrive, how long a reply may take. */
export interface VirtualUsersSpec {
  users: number;
  firstUser: number;
  arrival: 'burst' | 'rate';
  rate: number;
  replyTimeout: string;
}

/** Start offset (ms from the step start) of the i-th user. */
export function arrivalOffsetMs(spec: Pick<VirtualUsersSpec, 'arrival' | 'rate'>, index: number): number {
  return spec.arrival === 'burst' ? 0 : (index * 1000) / spec.rate;
}

/** One update and what came of it. */
export interface Exchange {
  /** false: the inject call itself failed (the update never reached the bot). */
  injected: boolean;
  /** The bot's answer, or null when none came within the reply timeout. */
  reply: SentRecord | null;
  /** Injected → answered, when an answer came and the simulator stamped both ends. */
  latencyMs?: number;
}

/**
 * What a script sees of its user. `expect: 'reply'` waits for the answer to the
 * update; `'silence'` waits as long for an answer that should not come (an
 * answer counts against the oldest such update of the chat still waiting,
 * since the simulator attributes a message to the chat's latest update);
 * `'nothing'` returns once the update is injected.
 */
export interface VirtualUser {
  readonly user: number;
  readonly stopped: AbortSignal;
  /** Counts one request, injects it and waits as asked. Tracked: the load ends only after it settles. */
  send(kind: UpdateKind, body: Record<string, unknown>, expect: 'reply' | 'silence' | 'nothing'): Promise<Exchange>;
  sleep(ms: number): Promise<void>;
}

export interface VirtualUsersOptions<S extends VirtualUsersSpec & StepSpec> {
  /** For the error when the stack has no Telegram simulator. */
  driver: string;
  describe(spec: S): string;
  /** Which of the bot's calls can answer an update (default: any). */
  answers?(record: SentRecord): boolean;
  /** One user's part, counting its outcomes in the tally. */
  play(vu: VirtualUser, tally: LoadTally): Promise<void>;
}

/** Replies kept for updates whose inject call has not returned yet. */
const MAX_EARLY_RECORDS = 10_000;

interface Waiting {
  expect: 'reply' | 'silence';
  chatId: number;
  settle: (record: SentRecord | null) => void;
}

export function startVirtualUsers<S extends VirtualUsersSpec & StepSpec>(step: string, spec: S, durationMs: number, ctx: LoadContext, options: VirtualUsersOptions<S>): LoadRun {
  const simUrl = ctx.endpoints.sims?.telegram;
  if (!simUrl) throw new Error(`this stack has no Telegram simulator, so the ${options.driver} load driver cannot run`);
  const client = new TelegramSimClient(simUrl);
  const replyTimeoutMs = toMs(spec.replyTimeout);
  const tally = new LoadTally(step, ctx.clock, ctx.bus, NO_PACING);
  const waiting = new Map<number, Waiting>();
  const early = new Map<number, SentRecord>();
  const stop = new AbortController();
  const streamStop = new AbortController();
  const inFlight = new Set<Promise<unknown>>();

  const onRecord = (record: SentRecord): void => {
    if (options.answers && !options.answers(record)) return;
    const id = record.answers_update_id ?? undefined;
    const exact = id === undefined ? undefined : waiting.get(id);
    if (exact && id !== undefined) {
      waiting.delete(id);
      exact.settle(record);
      return;
    }
    if (record.chat_id !== null) {
      for (const [updateId, w] of waiting) {
        if (w.chatId === record.chat_id && w.expect === 'silence') {
          waiting.delete(updateId);
          w.settle(record);
          return;
        }
      }
    }
    // Not claimed yet: the update's inject call may still be on its way back to us.
    if (id === undefined || early.has(id)) return;
    if (early.size >= MAX_EARLY_RECORDS) early.delete(early.keys().next().value as number);
    early.set(id, record);
  };

  const awaitAnswer = (updateId: number, chatId: number, expect: 'reply' | 'silence'): Promise<SentRecord | null> =>
    new Promise((resolve) => {
      const answeredAlready = early.get(updateId);
      if (answeredAlready) {
        early.delete(updateId);
        resolve(answeredAlready);
        return;
      }
      const timer = setTimeout(() => {
        waiting.delete(updateId);
        resolve(null);
      }, replyTimeoutMs);
      waiting.set(updateId, {
        expect,
        chatId,
        settle: (record) => {
          clearTimeout(timer);
          resolve(record);
        },
      });
    });

  const exchange = async (kind: UpdateKind, body: Record<string, unknown>, expect: 'reply' | 'silence' | 'nothing'): Promise<Exchange> => {
    tally.sent();
    let updateId: number;
    let chatId: number;
    try {
      ({ update_id: updateId, chat_id: chatId } = await client.inject(kind, body));
    } catch {
      return { injected: false, reply: null };
    }
    if (expect === 'nothing') return { injected: true, reply: null };
    const reply = await awaitAnswer(updateId, chatId, expect);
    const latencyMs = reply?.update_injected_at ? Math.max(0, reply.at - reply.update_injected_at) : undefined;
    return { injected: true, reply, ...(latencyMs !== undefined ? { latencyMs } : {}) };
  };

  const userOf = (user: number): VirtualUser => ({
    user,
    stopped: stop.signal,
    send(kind, body, expect) {
      const done = exchange(kind, body, expect);
      inFlight.add(done);
      void done.finally(() => inFlight.delete(done));
      return done;
    },
    sleep: (ms) => ctx.clock.sleep(ms, stop.signal),
  });

  const stream = client.follow(streamStop.signal, onRecord, durationMs + replyTimeoutMs * 2 + 60_000);
  const scheduler = (async () => {
    await stream.ready;
    const users: Promise<void>[] = [];
    for (let index = 0; index < spec.users; index += 1) {
      await ctx.clock.until(tally.startedMs + arrivalOffsetMs(spec, index), stop.signal);
      if (stop.signal.aborted) break;
      users.push(options.play(userOf(spec.firstUser + index), tally));
    }
    await Promise.allSettled(users);
    await Promise.allSettled([...inFlight]);
  })();

  let driverError: string | undefined;
  let finishing: Promise<LoadRecord> | null = null;
  const finish = (): Promise<LoadRecord> =>
    (finishing ??= (async () => {
      // Updates already injected get their reply or time out, then the stream closes.
      await Promise.race([scheduler.catch(() => undefined), ctx.clock.sleep(replyTimeoutMs + 1000)]);
      streamStop.abort();
      return tally.finish(spec, options.describe(spec), driverError);
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
}
