/**
 * Sabotage polling-gives-up (C4, §3 Bot): getUpdates failing several times in
 * a row does not end polling, so the bot answers once Telegram is back. With
 * the switch on, the poller stops for good after three failures (the seed's
 * "polling exception → shutdown") and the update waiting for it is never
 * answered. A real bot, the real Telegram simulator and real PostgreSQL.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEXT } from '../../../target/bot/context.ts';
import { GIVE_UP_AFTER_FAILURES, pollerSabotage } from '../../../target/bot/poller.ts';
import { parseSabotage } from '../../../target/sabotage.ts';
import type { ThrowawayPostgres } from '../support/throwaway-postgres.ts';
import { closeTestDbs, createThrowawayPostgres } from '../support/throwaway-postgres.ts';
import { eventually, repliesTo, sleep, startBotHarness } from './bot-harness.ts';

let pg: ThrowawayPostgres;
before(async () => {
  pg = await createThrowawayPostgres('polling-gives-up');
});
after(async () => {
  await closeTestDbs();
  await pg?.dispose();
});

/** Failures Telegram answers before it works again: more than the sabotaged poller tolerates. */
const OUTAGE_FAILURES = GIVE_UP_AFTER_FAILURES + 2;

test('C4: after 5 failed getUpdates in a row the bot answers again; with sabotage polling-gives-up it stopped after 3 and never answers', async () => {
  for (const switches of ['', 'polling-gives-up']) {
    const fast = { pollTimeoutSeconds: 1, requestSlackMs: 500, backoffInitialMs: 50, backoffMaxMs: 200 };
    const h = await startBotHarness(pg, { deps: { polling: { ...fast, ...pollerSabotage(parseSabotage({ CHAOSCTL_SABOTAGE: switches })) } } });
    try {
      h.tg.control.forceError({ error_code: 502, count: OUTAGE_FAILURES, methods: ['getUpdates'] });
      h.tg.control.injectCommand({ user: 1, command: 'start' });
      if (switches === '') {
        assert.deepEqual(await repliesTo(h, 1, 1, 5000), [TEXT.welcome]);
        assert.equal(h.logLines.filter((line) => line.event === 'polling_failed').length, OUTAGE_FAILURES);
        assert.equal(h.habitBot.pollingStatus()?.running, true);
      } else {
        await eventually('the poller giving up', () => (h.logLines.some((line) => line.event === 'polling_gave_up') ? true : undefined), 5000);
        assert.equal(h.habitBot.pollingStatus()?.consecutiveFailures, GIVE_UP_AFTER_FAILURES);
        assert.equal(h.habitBot.pollingStatus()?.running, false, 'a poller that gave up does not claim to run');
        // The healthy poller answers within about a second of the last forced failure (backoff capped at 200 ms here).
        await sleep(2000);
        assert.equal(h.sentTo(1).length, 0, 'no answer: nothing polls any more');
        assert.equal(h.tg.control.status().pending_updates, 1, 'the update still waits at Telegram');
      }
    } finally {
      await h.close();
    }
  }
});
