/**
 * The admin alert outbox (kept until delivered: C4) and the scheduler's job
 * log (runs, failures, skips: C1, C9) against real PostgreSQL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enqueueAlert, latestAlert, listUndeliveredAlerts, markAlertDelivered, recordAlertAttempt } from '../../../target/repos/alert-outbox.ts';
import { failJobRun, finishJobRun, listJobLog, listJobRunEntries, logJobSkip, runLoggedJob, startJobRun } from '../../../target/repos/job-log.ts';
import { useMigratedDatabases } from '../support/throwaway-postgres.ts';

/** A database of its own for each test, on one cluster for the file. */
const freshDb = useMigratedDatabases('db-outbox');

test('C4: alerts wait in the outbox, oldest first, counting attempts, until delivered', async (t) => {
  const db = await freshDb(t);
  const down = await enqueueAlert(db, { eventKey: 'bot_unreachable', severity: 'critical', source: 'health_check', text: 'Telegram getMe failed', details: { error: 'ETIMEDOUT' } });
  const stopped = await enqueueAlert(db, { eventKey: 'scheduler_stopped', severity: 'warning', source: 'watchdog', text: 'Scheduler is not running' });
  const forged = await enqueueAlert(db, {
    eventKey: 'webhook_verify_failed',
    severity: 'critical',
    source: 'payment_webhook',
    text: 'YooKassa/CryptoBot verification failed',
    details: { provider: 'yookassa' },
  });
  assert.deepEqual(down.details, { error: 'ETIMEDOUT' });
  assert.deepEqual(stopped.details, {});
  assert.equal(down.attempts, 0);
  assert.equal(down.deliveredAt, null);

  assert.deepEqual(
    (await listUndeliveredAlerts(db)).map((alert) => alert.id),
    [down.id, stopped.id, forged.id],
  );
  assert.equal(await recordAlertAttempt(db, down.id, 'telegram unreachable'), 1);
  assert.equal(await recordAlertAttempt(db, down.id, 'telegram unreachable again'), 2);
  assert.equal(await recordAlertAttempt(db, down.id), 3);
  const [retried] = await listUndeliveredAlerts(db, { limit: 1 });
  assert.deepEqual([retried?.id, retried?.attempts, retried?.lastError], [down.id, 3, 'telegram unreachable again'], 'still first in line, attempts counted');

  assert.equal(await markAlertDelivered(db, down.id), true);
  const deliveredAt = (await latestAlert(db, 'bot_unreachable'))?.deliveredAt;
  assert.ok(deliveredAt instanceof Date);
  assert.equal(await markAlertDelivered(db, down.id), true, 'repeatable');
  assert.equal((await latestAlert(db, 'bot_unreachable'))?.deliveredAt?.getTime(), deliveredAt.getTime(), 'the first delivery time is kept');
  assert.equal(await markAlertDelivered(db, 999_999), false);
  assert.deepEqual(
    (await listUndeliveredAlerts(db)).map((alert) => alert.id),
    [stopped.id, forged.id],
  );
  assert.equal((await latestAlert(db, 'webhook_verify_failed'))?.details.provider, 'yookassa');
  assert.equal(await latestAlert(db, 'db_recovered'), null);

  await assert.rejects(
    enqueueAlert(db, { eventKey: 'x', severity: 'fatal' as 'critical', source: 's', text: 't' }),
    (error: unknown) => (error as { constraint?: string }).constraint === 'alert_outbox_severity',
  );
});

test('latestAlert finds the newest alert of an event, for cooldowns', async (t) => {
  const db = await freshDb(t);
  await enqueueAlert(db, { eventKey: 'db_down', severity: 'critical', source: 'health_check', text: 'first' });
  await enqueueAlert(db, { eventKey: 'db_recovered', severity: 'info', source: 'health_check', text: 'back' });
  await enqueueAlert(db, { eventKey: 'db_down', severity: 'critical', source: 'health_check', text: 'second' });
  assert.equal((await latestAlert(db, 'db_down'))?.text, 'second');
});

test('runLoggedJob logs ok, skipped and failed runs; a failure is rethrown with the job logged failed', async (t) => {
  const db = await freshDb(t);
  const ok = await runLoggedJob(db, 'habit_reminders', async () => ({ status: 'ok' as const, detail: 'sent 3' }));
  assert.equal(ok.detail, 'sent 3');
  await runLoggedJob(db, 'habit_reminders', async () => ({ status: 'skipped' as const, detail: 'previous run still going' }));
  const boom = new Error('relation "habits" is locked');
  await assert.rejects(
    runLoggedJob(db, 'habit_reminders', async () => {
      throw boom;
    }),
    (error: unknown) => error === boom,
  );
  await runLoggedJob(db, 'health_check', async () => ({ status: 'ok' as const }));

  const log = await listJobLog(db, 'habit_reminders');
  assert.deepEqual(
    log.map((entry) => [entry.status, entry.detail]),
    [
      ['failed', 'relation "habits" is locked'],
      ['skipped', 'previous run still going'],
      ['ok', 'sent 3'],
    ],
  );
  for (const entry of log) assert.ok(entry.finishedAt instanceof Date && entry.finishedAt >= entry.startedAt);
  assert.equal((await listJobLog(db, 'habit_reminders', { limit: 1 })).length, 1);
});

test('C9: log_job_skip records each skipped item under its run; a run closes once', async (t) => {
  const db = await freshDb(t);
  const run = await startJobRun(db, 'habit_reminders', 'run-42');
  assert.equal(run.runId, 'run-42');
  await logJobSkip(db, { jobName: 'habit_reminders', runId: run.runId, detail: 'user 1001 blocked the bot (403)' });
  await logJobSkip(db, { jobName: 'habit_reminders', runId: run.runId, detail: 'user 1002 blocked the bot (403)' });
  assert.equal(await finishJobRun(db, run, 'sent 98, skipped 2'), true);
  assert.equal(await finishJobRun(db, run, 'again'), false, 'already closed');
  assert.equal(await failJobRun(db, run, new Error('late')), false, 'a closed run is not reopened');

  const entries = await listJobRunEntries(db, 'run-42');
  assert.deepEqual(
    entries.map((entry) => [entry.status, entry.detail]),
    [
      ['ok', 'sent 98, skipped 2'],
      ['skipped', 'user 1001 blocked the bot (403)'],
      ['skipped', 'user 1002 blocked the bot (403)'],
    ],
  );
  const running = await startJobRun(db, 'analytics_refresh');
  assert.match(running.runId, /^[0-9a-f-]{36}$/, 'a run id is made up when none is given');
  assert.equal((await listJobLog(db, 'analytics_refresh'))[0]?.status, 'running');
});
