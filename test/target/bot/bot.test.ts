/**
 * The bot's middlewares and handlers, each with the sabotage switch that
 * breaks it: a real grammY bot long-polling the Telegram simulator, writing
 * to a real PostgreSQL database.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEXT } from '../../../target/bot/context.ts';
import { TOO_MANY_REQUESTS_TEXT } from '../../../target/bot/throttle.ts';
import { ADMIN_ANALYTICS } from '../../../target/bot/handlers.ts';
import { createMetrics } from '../../../target/metrics/registry.ts';
import type { AnalyticsSnapshot } from '../../../target/repos/analytics.ts';
import { metricValue, readAnalytics, refreshAnalytics } from '../../../target/repos/analytics.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';
import { closeTestDbs, createThrowawayPostgres, withSabotage } from '../support/throwaway-postgres.ts';
import type { BotHarness } from './bot-harness.ts';
import { eventually, repliesTo, sleep, startBotHarness } from './bot-harness.ts';

let pg: ThrowawayPostgres;

before(async () => {
  pg = await createThrowawayPostgres('bot');
});

after(async () => {
  await closeTestDbs();
  await pg?.dispose();
});

async function count(h: BotHarness, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await h.test.pool.query<{ n: number }>(`SELECT (${sql})::int AS n`, params);
  return rows[0]?.n ?? -1;
}

async function userIdOf(h: BotHarness, n: number): Promise<number> {
  const { rows } = await h.test.pool.query<{ id: string }>('SELECT id FROM users WHERE telegram_id = $1', [h.chat(n)]);
  assert.ok(rows[0], `user ${n} is registered`);
  return Number(rows[0].id);
}

/** Sends each text as user n and waits for one reply to each. */
async function say(h: BotHarness, n: number, ...texts: string[]): Promise<Array<string | null>> {
  const replies: Array<string | null> = [];
  for (const text of texts) {
    const before = h.sentTo(n).length;
    if (text.startsWith('/')) {
      const [command = '', ...args] = text.slice(1).split(' ');
      h.tg.control.injectCommand({ user: n, command, ...(args.length > 0 ? { args: args.join(' ') } : {}) });
    } else {
      h.tg.control.injectMessage({ user: n, text });
    }
    const all = await repliesTo(h, n, before + 1);
    replies.push(all[before] ?? null);
  }
  return replies;
}

async function floodAndCount(sabotage: string | undefined, replyWhenThrottled: boolean): Promise<Array<string | null>> {
  const h = await startBotHarness(pg, { ...(sabotage ? { sabotage } : {}), deps: { config: { throttleReply: replyWhenThrottled } } });
  try {
    for (let i = 0; i < 31; i += 1) h.tg.control.injectMessage({ user: 1, text: `message ${i}` });
    await eventually('all 31 updates taken', () => (h.tg.control.status().pending_updates === 0 && h.habitBot.pollingStatus()?.inFlight === 0 ? true : undefined));
    await sleep(200);
    return h.sentTo(1).map((record) => record.text);
  } finally {
    await h.close();
  }
}

test('C11: 31 messages in a minute reach a handler 30 times, silently; with sabotage throttle all 31', async () => {
  const healthy = await floodAndCount(undefined, false);
  assert.equal(healthy.length, 30);
  assert.ok(healthy.every((text) => text === TEXT.notUnderstood));

  const withReply = await floodAndCount(undefined, true);
  assert.equal(withReply.filter((text) => text === TEXT.notUnderstood).length, 30);
  assert.deepEqual(withReply.filter((text) => text === TOO_MANY_REQUESTS_TEXT), [TOO_MANY_REQUESTS_TEXT], 'one "too many requests" reply per window when enabled');

  const sabotaged = await floodAndCount('throttle', false);
  assert.equal(sabotaged.length, 31);
});

async function failingFinalStep(sabotage?: string): Promise<{ habits: number; state: number; replies: Array<string | null>; afterRetry: number }> {
  const h = await startBotHarness(pg, sabotage ? { sabotage } : {});
  try {
    await say(h, 1, '/newhabit', 'Read a book');
    // The habit is inserted, the state cleared, then the confirmation fails.
    h.tg.control.forceError({ error_code: 500, count: 1, methods: ['sendMessage'] });
    const before = h.sentTo(1).length;
    h.tg.control.injectMessage({ user: 1, text: '07:30' });
    const all = await repliesTo(h, 1, before + 2);
    const userId = await userIdOf(h, 1);
    const habits = await count(h, 'SELECT count(*) FROM habits WHERE user_id = $1', [userId]);
    const state = await count(h, 'SELECT count(*) FROM conversations WHERE user_id = $1', [userId]);
    // The bot is still there: the user sends the time again.
    const [retry] = await say(h, 1, '07:30');
    const afterRetry = await count(h, 'SELECT count(*) FROM habits WHERE user_id = $1', [userId]);
    return { habits, state, replies: [...all.slice(before), retry ?? null], afterRetry };
  } finally {
    await h.close();
  }
}

test('C1: a handler that fails rolls back its writes, the user gets an error message, the bot answers the next update; sabotage rollback leaves half the work', async () => {
  const healthy = await failingFinalStep();
  assert.equal(healthy.replies[1], TEXT.error);
  assert.equal(healthy.habits, 0, 'the habit insert was rolled back');
  assert.equal(healthy.state, 1, 'the flow is where it was, so sending the time again works');
  assert.match(healthy.replies[2] ?? '', /^Habit "Read a book" created/);
  assert.equal(healthy.afterRetry, 1);

  const sabotaged = await failingFinalStep('rollback');
  assert.equal(sabotaged.replies[1], TEXT.error);
  assert.equal(sabotaged.habits, 1, 'the habit stayed although the user was told something went wrong');
  assert.equal(sabotaged.state, 0);
  assert.equal(sabotaged.replies[2], TEXT.notUnderstood, 'the retry finds no flow');
});

async function staleFlowThenStart(sabotage?: string): Promise<{ afterStart: string | null; rows: number }> {
  const h = await startBotHarness(pg, sabotage ? { sabotage } : {});
  try {
    await say(h, 1, '/newhabit', 'Meditate');
    const userId = await userIdOf(h, 1);
    // The user comes back a day later.
    await h.test.pool.query("UPDATE conversations SET updated_at = now() - interval '25 hours' WHERE user_id = $1", [userId]);
    const [welcome, next] = await say(h, 1, '/start', 'hello');
    assert.equal(welcome, TEXT.welcome);
    return { afterStart: next ?? null, rows: await count(h, 'SELECT count(*) FROM conversations WHERE user_id = $1', [userId]) };
  } finally {
    await h.close();
  }
}

test('C10: /start resets a stale flow; with sabotage fsm-reset the user stays stuck in it', async () => {
  const healthy = await staleFlowThenStart();
  assert.equal(healthy.afterStart, TEXT.notUnderstood);
  assert.equal(healthy.rows, 0);

  const sabotaged = await staleFlowThenStart('fsm-reset');
  assert.equal(sabotaged.afterStart, TEXT.badTime, 'still asked for a reminder time');
  assert.equal(sabotaged.rows, 1);
});

test('C10: stale state alone expires after the TTL; /start also resets a fresh flow', async () => {
  const h = await startBotHarness(pg);
  try {
    await say(h, 1, '/newhabit', 'Run');
    const userId = await userIdOf(h, 1);
    await h.test.pool.query("UPDATE conversations SET updated_at = now() - interval '25 hours' WHERE user_id = $1", [userId]);
    assert.deepEqual(await say(h, 1, '08:00'), [TEXT.notUnderstood]);
    assert.equal(await count(h, 'SELECT count(*) FROM habits'), 0);

    await say(h, 2, '/newhabit', 'Stretch', '/start');
    assert.deepEqual(await say(h, 2, '09:00'), [TEXT.notUnderstood]);
    assert.equal(await count(h, 'SELECT count(*) FROM conversations WHERE user_id = $1', [await userIdOf(h, 2)]), 0);
    assert.equal(await count(h, 'SELECT count(*) FROM habits'), 0);
  } finally {
    await h.close();
  }
});

test('L4: /newhabit … /cancel at any step leaves no habit and no state; 20 flows in parallel complete', async () => {
  const h = await startBotHarness(pg);
  try {
    assert.deepEqual(await say(h, 1, '/newhabit', '/cancel'), [TEXT.askTitle, TEXT.cancelled]);
    assert.deepEqual(await say(h, 1, '/newhabit', 'Journal', '/cancel', '/cancel'), [TEXT.askTitle, TEXT.askTime, TEXT.cancelled, TEXT.nothingToCancel]);
    assert.equal(await count(h, 'SELECT count(*) FROM habits'), 0);
    assert.equal(await count(h, 'SELECT count(*) FROM conversations'), 0);

    const flows = Array.from({ length: 20 }, (_, i) => say(h, 10 + i, '/newhabit', `Habit ${i}`, i % 2 === 0 ? '06:15' : '/cancel'));
    const results = await Promise.all(flows);
    results.forEach((replies, i) => {
      if (i % 2 === 0) assert.match(replies[2] ?? '', new RegExp(`^Habit "Habit ${i}" created, reminder at 06:15`));
      else assert.equal(replies[2], TEXT.cancelled);
    });
    assert.equal(await count(h, 'SELECT count(*) FROM habits'), 10);
    assert.equal(await count(h, 'SELECT count(*) FROM conversations'), 0);
  } finally {
    await h.close();
  }
});

async function doneTwice(sabotage?: string): Promise<{ answers: Array<string | null>; completionCount: number; rows: number }> {
  const h = await startBotHarness(pg, sabotage ? { sabotage } : {});
  try {
    await say(h, 1, '/newhabit', 'Walk', 'none');
    const { rows } = await h.test.pool.query<{ id: string }>('SELECT id FROM habits');
    const habitId = Number(rows[0]?.id);
    h.tg.control.injectCallbackQuery({ user: 1, data: `habit_done:${habitId}` });
    h.tg.control.injectCallbackQuery({ user: 1, data: `habit_done:${habitId}` });
    const answers = await eventually('two callback answers', () => {
      const records = h.sentTo(1, 'answerCallbackQuery');
      return records.length >= 2 ? records.map((record) => record.text) : undefined;
    });
    assert.ok(h.sentTo(1, 'answerCallbackQuery').every((record) => record.ok), 'every query answered');
    return {
      answers,
      completionCount: await count(h, 'SELECT completion_count FROM habits WHERE id = $1', [habitId]),
      rows: await count(h, 'SELECT count(*) FROM habit_completions WHERE habit_id = $1', [habitId]),
    };
  } finally {
    await h.close();
  }
}

test('L2: a duplicate habit_done callback counts once and is answered "already done"; with sabotage callback-idempotency twice', async () => {
  const healthy = await doneTwice();
  assert.deepEqual(healthy.answers, [TEXT.markedDone, TEXT.alreadyDone]);
  assert.deepEqual([healthy.completionCount, healthy.rows], [1, 1]);

  const sabotaged = await doneTwice('callback-idempotency');
  assert.deepEqual(sabotaged.answers, [TEXT.markedDone, TEXT.markedDone]);
  assert.deepEqual([sabotaged.completionCount, sabotaged.rows], [2, 1]);
});

test('habit_done for a habit of another user or an unknown id is answered, and changes nothing', async () => {
  const h = await startBotHarness(pg);
  try {
    await say(h, 1, '/newhabit', 'Swim', 'none');
    const { rows } = await h.test.pool.query<{ id: string }>('SELECT id FROM habits');
    await say(h, 2, '/start');
    // User 2 presses buttons carrying user 1's habit and an unknown one (the simulator needs a keyboard message in the chat).
    await h.tg.api('sendMessage', { chat_id: h.chat(2), text: 'k', reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'x' }]] } });
    h.tg.control.injectCallbackQuery({ user: 2, data: `habit_done:${rows[0]?.id}` });
    h.tg.control.injectCallbackQuery({ user: 2, data: 'habit_done:999999' });
    const answers = await eventually('two answers', () => {
      const records = h.sentTo(2, 'answerCallbackQuery');
      return records.length >= 2 ? records.map((record) => record.text) : undefined;
    });
    assert.deepEqual(answers, [TEXT.habitNotFound, TEXT.habitNotFound]);
    assert.equal(await count(h, 'SELECT count(*) FROM habit_completions'), 0);
  } finally {
    await h.close();
  }
});

test('L3: /analytics answers admins from analytics_metrics and refuses everyone else', async () => {
  const h = await startBotHarness(pg, { deps: { config: { adminTelegramIds: [100_000_001] } } });
  try {
    assert.equal(h.chat(1), 100_000_001);
    assert.deepEqual(await say(h, 1, '/analytics'), [TEXT.noAnalytics]);
    await h.test.pool.query(
      "INSERT INTO analytics_metrics (key, period, value, refreshed_at) VALUES ('users_total', 'all', 42, now()), ('completions', '2026-01-01', 5, now())",
    );
    const [report] = await say(h, 1, '/analytics');
    assert.match(report ?? '', /^Analytics \(refreshed .*\)\nusers_total: 42$/);
    assert.deepEqual(await say(h, 2, '/analytics'), [TEXT.adminsOnly]);
  } finally {
    await h.close();
  }
});

async function dashboardClicks(sabotage?: string): Promise<{ replies: Array<string | null>; readsSeconds: number[]; refused: Array<string | null> }> {
  const readsSeconds: number[] = [];
  const h = await startBotHarness(pg, {
    ...(sabotage ? { sabotage } : {}),
    deps: { config: { adminTelegramIds: [100_000_001] }, onAnalyticsRead: (seconds) => readsSeconds.push(seconds) },
  });
  try {
    // The summary table says 42 users; the source tables hold the 2 this test registers.
    await h.test.pool.query("INSERT INTO analytics_metrics (key, period, value, refreshed_at) VALUES ('users_total', 'all', 42, now())");
    const [dashboard] = await say(h, 1, '/admin');
    assert.equal(dashboard, TEXT.adminDashboard);
    const keyboard = h.sentTo(1).at(-1)?.reply_markup as { inline_keyboard: Array<Array<{ callback_data?: string }>> } | undefined;
    assert.equal(keyboard?.inline_keyboard[0]?.[0]?.callback_data, ADMIN_ANALYTICS);
    const replies: Array<string | null> = [];
    for (let click = 1; click <= 2; click += 1) {
      h.tg.control.injectCallbackQuery({ user: 1, data: ADMIN_ANALYTICS });
      const all = await repliesTo(h, 1, 1 + click);
      replies.push(all[click] ?? null);
    }
    await eventually('both clicks answered', () => (h.sentTo(1, 'answerCallbackQuery').length === 2 ? true : undefined));

    // A user who is not an admin gets neither the dashboard nor the figures.
    const [notAdmin] = await say(h, 2, '/admin');
    await h.tg.api('sendMessage', { chat_id: h.chat(2), text: 'k', reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'x' }]] } });
    h.tg.control.injectCallbackQuery({ user: 2, data: ADMIN_ANALYTICS });
    const answer = await eventually('the refusal', () => h.sentTo(2, 'answerCallbackQuery')[0]?.text);
    return { replies, readsSeconds, refused: [notAdmin ?? null, answer] };
  } finally {
    await h.close();
  }
}

test('L3: the admin dashboard\'s Analytics button answers from analytics_metrics and times each read; with sabotage analytics-live-query it counts the source tables', async () => {
  const healthy = await dashboardClicks();
  for (const reply of healthy.replies) assert.match(reply ?? '', /^Analytics \(refreshed .*\)\nusers_total: 42$/);
  assert.equal(healthy.readsSeconds.length, 2, 'one timed read per click');
  assert.ok(healthy.readsSeconds.every((seconds) => seconds > 0 && seconds < 5));
  assert.deepEqual(healthy.refused, [TEXT.adminsOnly, TEXT.adminsOnly]);

  const sabotaged = await dashboardClicks('analytics-live-query');
  for (const reply of sabotaged.replies) {
    assert.match(reply ?? '', /\nusers_total: 1\n/, 'computed from users (the admin alone is registered when the figures are read)');
    assert.doesNotMatch(reply ?? '', /users_total: 42/);
  }
  assert.equal(sabotaged.readsSeconds.length, 2);
});

test('L3: the live figures of sabotage analytics-live-query are the ones a refresh would store', async () => {
  const h = await startBotHarness(pg, { poll: false });
  try {
    await h.test.pool.query("INSERT INTO users (telegram_id, first_name) SELECT 200000000 + g, 'u' FROM generate_series(1, 30) g");
    await h.test.pool.query("INSERT INTO habits (user_id, title) SELECT id, 'h' FROM users");
    await h.test.pool.query("INSERT INTO habit_completions (habit_id, day) SELECT id, current_date - d FROM habits, generate_series(0, 3) d");
    await refreshAnalytics(h.test.db);
    const stored = await readAnalytics(h.test.db);
    const live = await readAnalytics(withSabotage(h.test.db, 'analytics-live-query'));
    const figures = (snapshot: AnalyticsSnapshot): string[] => snapshot.metrics.map((m) => `${m.key}/${m.period}=${m.value}`);
    assert.deepEqual(figures(live), figures(stored));
    assert.equal(metricValue(live, 'completions_total'), 120);
    assert.ok(live.refreshedAt !== null && stored.refreshedAt !== null && live.refreshedAt >= stored.refreshedAt);
  } finally {
    await h.close();
  }
});

test('L3: bot_analytics_read_duration_seconds is exported as a histogram with a 100 ms bucket', async () => {
  const metrics = createMetrics();
  metrics.analyticsRead.observe(0.004);
  metrics.analyticsRead.observe(0.3);
  const text = await metrics.registry.metrics();
  assert.match(text, /^bot_analytics_read_duration_seconds_bucket\{le="0.1"\} 1$/m);
  assert.match(text, /^bot_analytics_read_duration_seconds_count 2$/m);
});

async function cancelThenTime(sabotage?: string): Promise<{ replies: Array<string | null>; state: number; habits: number }> {
  const h = await startBotHarness(pg, sabotage ? { sabotage } : {});
  try {
    const replies = await say(h, 1, '/newhabit', 'Jog', '/cancel', '08:00');
    const userId = await userIdOf(h, 1);
    return {
      replies,
      state: await count(h, 'SELECT count(*) FROM conversations WHERE user_id = $1', [userId]),
      habits: await count(h, 'SELECT count(*) FROM habits WHERE user_id = $1', [userId]),
    };
  } finally {
    await h.close();
  }
}

test('L4: /cancel ends the flow for good; with sabotage fsm-cancel it says so but the next message goes on with the flow', async () => {
  const healthy = await cancelThenTime();
  assert.deepEqual(healthy.replies, [TEXT.askTitle, TEXT.askTime, TEXT.cancelled, TEXT.notUnderstood]);
  assert.deepEqual([healthy.state, healthy.habits], [0, 0]);

  const sabotaged = await cancelThenTime('fsm-cancel');
  assert.equal(sabotaged.replies[2], TEXT.cancelled);
  assert.match(sabotaged.replies[3] ?? '', /^Habit "Jog" created/, 'the cancelled flow created its habit');
  assert.equal(sabotaged.habits, 1);
});

test('L10: /balance, /subscribe with too little money, then with enough (a savepoint inside the update transaction); /topup without payments', async () => {
  const h = await startBotHarness(pg);
  try {
    assert.deepEqual(await say(h, 1, '/balance'), ['Your balance: 0.00 RUB']);
    assert.deepEqual(await say(h, 1, '/subscribe month'), [
      'Not enough money: the month plan costs 199.00 RUB, your balance is 0.00 RUB. /topup adds money.',
    ]);
    await h.test.pool.query('UPDATE users SET balance = 25000 WHERE telegram_id = $1', [h.chat(1)]);
    const [bought] = await say(h, 1, '/subscribe month');
    assert.match(bought ?? '', /^Subscribed to month until \d{4}-\d{2}-\d{2}\. Balance: 51\.00 RUB\.$/);
    assert.equal(await count(h, 'SELECT count(*) FROM subscriptions'), 1);
    assert.equal(await count(h, "SELECT count(*) FROM balance_ledger WHERE kind = 'debit'"), 1);
    assert.deepEqual(await say(h, 1, '/topup 100'), [TEXT.paymentsUnavailable]);
    const [usage] = await say(h, 1, '/subscribe');
    assert.match(usage ?? '', /^Usage: \/subscribe <plan>/);
  } finally {
    await h.close();
  }
});

test('/topup reads amounts strictly and /subscribe finds only real plans: hostile arguments get the usage text and reach nothing', async () => {
  const calls: number[] = [];
  const h = await startBotHarness(pg, {
    deps: { payments: { createTopup: (_userId, amount) => (calls.push(amount), Promise.resolve({ ok: true as const, confirmationUrl: 'http://127.0.0.1/pay/1' })) } },
  });
  try {
    for (const amount of ['0x10', '1e3', '0.001', '-5', '10abc', '0', '0.00', 'Infinity', '1000000.01']) {
      assert.deepEqual(await say(h, 1, `/topup ${amount}`), [TEXT.topupUsage], `/topup ${amount}`);
    }
    assert.deepEqual(calls, [], 'no hostile amount reached the provider');
    assert.deepEqual(await say(h, 1, '/topup 0,5'), ['Pay here: http://127.0.0.1/pay/1']);
    assert.deepEqual(calls, [50]);
    for (const plan of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const [answer] = await say(h, 1, `/subscribe ${plan}`);
      assert.match(answer ?? '', new RegExp(`^Unknown plan "${plan.toLowerCase()}"\\. Usage: /subscribe <plan>\\. Plans:\\nmonth`), `/subscribe ${plan}`);
    }
    assert.equal(await count(h, 'SELECT count(*) FROM subscriptions'), 0);
  } finally {
    await h.close();
  }
});

test('C5: /topup calls the payments hook with minor units and shows where to pay; a failure is told in the payments side\'s words, a throwing hook gets the generic retry message', async () => {
  const calls: Array<[number, number]> = [];
  let fail: 'no' | 'answer' | 'throw' = 'no';
  const h = await startBotHarness(pg, {
    deps: {
      payments: {
        createTopup: (userId, amount) => {
          calls.push([userId, amount]);
          if (fail === 'throw') return Promise.reject(new Error('provider timeout'));
          return Promise.resolve(fail === 'answer' ? { ok: false as const, error: 'The payment service did not answer in time. No money was taken; please try again.' } : { ok: true as const, confirmationUrl: 'http://127.0.0.1/pay/1' });
        },
      },
    },
  });
  try {
    assert.deepEqual(await say(h, 1, '/topup 500'), ['Pay here: http://127.0.0.1/pay/1']);
    fail = 'answer';
    assert.deepEqual(await say(h, 1, '/topup 12.5'), ['The payment service did not answer in time. No money was taken; please try again.']);
    fail = 'throw';
    assert.deepEqual(await say(h, 1, '/topup 1'), [TEXT.topupFailed]);
    const userId = await userIdOf(h, 1);
    assert.deepEqual(calls, [
      [userId, 50_000],
      [userId, 1250],
      [userId, 100],
    ]);
  } finally {
    await h.close();
  }
});

test('C1: with the database gone, the user gets the error message and the bot keeps polling', async () => {
  const h = await startBotHarness(pg);
  try {
    assert.deepEqual(await say(h, 1, '/start'), [TEXT.welcome]);
    const { rows } = await h.test.pool.query<{ db: string }>('SELECT current_database() AS db');
    await h.test.pool.end();
    assert.deepEqual(await say(h, 1, '/start'), [TEXT.error]);
    assert.ok(rows[0]);
    assert.ok(h.logLines.some((line) => line.event === 'handler_failed'));
  } finally {
    await h.habitBot.stop();
    await h.tg.close();
  }
});
