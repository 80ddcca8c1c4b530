/**
 * A real bot against the real Telegram simulator and a real PostgreSQL
 * database, for the bot's tests. Short timeouts keep the tests quick.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createBot } from '../../../target/bot/create-bot.ts';
import type { CreateBotDeps, HabitBot } from '../../../target/bot/create-bot.ts';
import type { SentRecord } from '../../../target/sims/telegram/sent-log.ts';
import type { RunningTelegram } from '../../sims/telegram-helpers.ts';
import { startTelegram, TOKEN } from '../../sims/telegram-helpers.ts';
import type { ThrowawayPostgres, TestDb } from '../support/throwaway-postgres.ts';
import { closeTestDb, openTestDb } from '../support/throwaway-postgres.ts';

export { TOKEN };

/** A pino logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

export interface BotHarness {
  tg: RunningTelegram;
  test: TestDb;
  habitBot: HabitBot;
  logLines: Array<Record<string, unknown>>;
  /** Chat id of virtual user n. */
  chat(n: number): number;
  /** Bot messages sent to user n (accepted or refused). */
  sentTo(n: number, method?: string): SentRecord[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  sabotage?: string;
  deps?: Partial<Omit<CreateBotDeps, 'db' | 'logger' | 'token' | 'apiRoot'>>;
  /** Start long polling (default true). */
  poll?: boolean;
}

export async function startBotHarness(pg: ThrowawayPostgres, options: HarnessOptions = {}): Promise<BotHarness> {
  const url = await pg.createMigratedDatabase();
  const test = openTestDb(url, options.sabotage ? { sabotage: options.sabotage } : {});
  const tg = await startTelegram({ flood: { enabled: false } });
  const { logger, lines } = capturingLogger();
  const habitBot = createBot({
    token: TOKEN,
    apiRoot: tg.url,
    db: test.db,
    logger,
    apiTimeoutSeconds: 5,
    polling: { pollTimeoutSeconds: 1, requestSlackMs: 500, backoffInitialMs: 50, backoffMaxMs: 200 },
    ...options.deps,
  });
  if (options.poll ?? true) habitBot.startPolling();
  return {
    tg,
    test,
    habitBot,
    logLines: lines,
    chat: (n) => tg.control.userId(n),
    sentTo: (n, method = 'sendMessage') => tg.control.sent({ chat_id: tg.control.userId(n), method }),
    async close() {
      await habitBot.stop();
      await tg.close();
      await closeTestDb(test.pool);
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until user n has received `count` sendMessage records; returns their texts. */
export function repliesTo(h: BotHarness, n: number, count: number, timeoutMs = 5000): Promise<Array<string | null>> {
  return eventually(`${count} replies to user ${n}`, () => {
    const records = h.sentTo(n);
    return records.length >= count ? records.map((record) => record.text) : undefined;
  }, timeoutMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
