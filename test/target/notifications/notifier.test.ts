/**
 * The Notifier (C9, B7, §6): retries on 429 honouring retry_after, marks a
 * user who blocked the bot, never throws — and its two sabotage switches.
 * grammY's Api against the real Telegram simulator, users in a real database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Api, GrammyError } from 'grammy';
import type { SendOutcome } from '../../../target/contracts.ts';
import { createTelegramNotifier } from '../../../target/notifications/notifier.ts';
import type { TelegramNotifierOptions } from '../../../target/notifications/notifier.ts';
import { listJobLog, runLoggedJob } from '../../../target/repos/job-log.ts';
import { getUserByTelegramId, registerOrGetUser } from '../../../target/repos/users.ts';
import type { RunningTelegram } from '../../sims/telegram-helpers.ts';
import { startTelegram, TOKEN } from '../../sims/telegram-helpers.ts';
import type { TestDb, ThrowawayPostgres } from '../support/throwaway-postgres.ts';
import { closeTestDb, closeTestDbs, createThrowawayPostgres, openTestDb } from '../support/throwaway-postgres.ts';
import { capturingLogger } from '../bot/bot-harness.ts';

let pg: ThrowawayPostgres;

before(async () => {
  pg = await createThrowawayPostgres('notifier');
});

after(async () => {
  await closeTestDbs();
  await pg?.dispose();
});

interface Setup {
  tg: RunningTelegram;
  test: TestDb;
  send(n: number, text?: string): Promise<SendOutcome>;
  notifier: ReturnType<typeof createTelegramNotifier>;
  tooManyRequests: () => number;
  logLines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function setup(options: { sabotage?: string; notifier?: TelegramNotifierOptions } = {}): Promise<Setup> {
  const test = openTestDb(await pg.createMigratedDatabase(), options.sabotage ? { sabotage: options.sabotage } : {});
  const tg = await startTelegram({ flood: { enabled: false } });
  const { logger, lines } = capturingLogger();
  let count429 = 0;
  const notifier = createTelegramNotifier(
    { api: new Api(TOKEN, { apiRoot: tg.url }), db: test.db, logger },
    { onTooManyRequests: () => (count429 += 1), ...options.notifier },
  );
  return {
    tg,
    test,
    notifier,
    logLines: lines,
    tooManyRequests: () => count429,
    send: (n, text = 'Time for your habit') => notifier.send(tg.control.userId(n), text, { context: 'test' }),
    async close() {
      await tg.close();
      await closeTestDb(test.pool);
    },
  };
}

function sendCalls(s: Setup): number {
  return s.tg.control.counters().calls.sendMessage ?? 0;
}

test('a 429 with retry_after 1 is waited out and retried: sent, about a second later', async () => {
  const s = await setup();
  try {
    s.tg.control.forceError({ error_code: 429, retry_after: 1, count: 1, methods: ['sendMessage'] });
    const started = Date.now();
    assert.equal(await s.send(1), 'sent');
    const took = Date.now() - started;
    assert.ok(took >= 950 && took < 3000, `took ${took} ms`);
    assert.equal(sendCalls(s), 2);
    assert.equal(s.tooManyRequests(), 1);
    assert.equal(s.tg.control.sent({ method: 'sendMessage', ok: true }).length, 1);
  } finally {
    await s.close();
  }
});

test('three 429s are retried three times and the fourth attempt goes through; four 429s give failed after 3 retries', async () => {
  const s = await setup({ notifier: { maxRetryWaitMs: 20 } });
  try {
    s.tg.control.forceError({ error_code: 429, retry_after: 30, count: 3, methods: ['sendMessage'] });
    const started = Date.now();
    assert.equal(await s.send(1), 'sent');
    assert.ok(Date.now() - started < 1000, 'each wait capped at maxRetryWaitMs');
    assert.equal(sendCalls(s), 4);

    s.tg.control.forceError({ error_code: 429, retry_after: 1, count: 4, methods: ['sendMessage'] });
    assert.equal(await s.send(1), 'failed');
    assert.equal(sendCalls(s), 8);
    assert.equal(s.tooManyRequests(), 7);
    assert.ok(s.logLines.some((line) => line.event === 'notify_failed' && line.code === 429));
  } finally {
    await s.close();
  }
});

test('sabotage notify-429-retry: the first 429 is failed, no retry', async () => {
  const s = await setup({ sabotage: 'notify-429-retry' });
  try {
    s.tg.control.forceError({ error_code: 429, retry_after: 1, count: 1, methods: ['sendMessage'] });
    assert.equal(await s.send(1), 'failed');
    assert.equal(sendCalls(s), 1);
    assert.equal(s.tooManyRequests(), 1);
  } finally {
    await s.close();
  }
});

test('403 (the user blocked the bot): blocked, users.is_blocked set, a job_skip event logged, nothing thrown', async () => {
  const s = await setup();
  try {
    const telegramId = s.tg.control.userId(2);
    await registerOrGetUser(s.test.db, { telegramId, firstName: 'Bo' });
    s.tg.control.blockUser(2);
    assert.equal(await s.send(2), 'blocked');
    assert.equal((await getUserByTelegramId(s.test.db, telegramId))?.isBlocked, true);
    const skip = s.logLines.find((line) => line.event === 'job_skip');
    assert.ok(skip, 'job_skip logged');
    assert.equal(skip.chatId, telegramId);
    assert.equal(skip.context, 'test');
    assert.equal(skip.reason, 'blocked');
    assert.equal(sendCalls(s), 1, 'a 403 is not retried');
    // A chat with no users row is blocked all the same.
    s.tg.control.blockUser(3);
    assert.equal(await s.send(3), 'blocked');
    // The database being gone does not turn a 403 into a throw either.
    await closeTestDb(s.test.pool);
    s.tg.control.blockUser(4);
    assert.equal(await s.send(4), 'blocked');
  } finally {
    await s.close();
  }
});

test('other failures are failed at once, without retry; a network failure too', async () => {
  const s = await setup();
  try {
    s.tg.control.forceError({ error_code: 500, count: 1, methods: ['sendMessage'] });
    assert.equal(await s.send(1), 'failed');
    assert.equal(sendCalls(s), 1);
    assert.equal(await s.notifier.send(s.tg.control.userId(1), ''), 'failed', '400 message text is empty');
    await s.tg.close();
    assert.equal(await s.send(1), 'failed');
  } finally {
    await closeTestDb(s.test.pool);
  }
});

/** A reminder-like job: one message per user, outcomes counted, run logged in job_log. */
async function reminderRun(sabotage?: string): Promise<{ outcomes: SendOutcome[]; error: unknown; status: string | undefined }> {
  const s = await setup(sabotage ? { sabotage } : {});
  const outcomes: SendOutcome[] = [];
  let error: unknown = null;
  try {
    s.tg.control.blockUser(2);
    try {
      await runLoggedJob(s.test.db, 'habit_reminders', async () => {
        for (const n of [1, 2, 3]) outcomes.push(await s.send(n));
        return { status: 'ok' as const, detail: outcomes.join(',') };
      });
    } catch (caught) {
      error = caught;
    }
    const [run] = await listJobLog(s.test.db, 'habit_reminders');
    return { outcomes, error, status: run?.status };
  } finally {
    await s.close();
  }
}

test('C9: a blocked user does not stop a job; with sabotage notify-blocked the 403 crashes the run', async () => {
  const healthy = await reminderRun();
  assert.deepEqual(healthy.outcomes, ['sent', 'blocked', 'sent']);
  assert.equal(healthy.error, null);
  assert.equal(healthy.status, 'ok');

  const sabotaged = await reminderRun('notify-blocked');
  assert.deepEqual(sabotaged.outcomes, ['sent'], 'the third user never gets the reminder');
  assert.ok(sabotaged.error instanceof GrammyError && sabotaged.error.error_code === 403);
  assert.equal(sabotaged.status, 'failed');
});
