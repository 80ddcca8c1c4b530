/**
 * Sabotage alert-drop (C4, §4): an alert Telegram cannot take right now is
 * kept and delivered later; with the switch on it is lost. Real PostgreSQL
 * holds the outbox; the Notifier is a stand-in that fails until told not to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Notifier, SendOutcome } from '../../../target/contracts.ts';
import { createAlertService } from '../../../target/alerts/alert-service.ts';
import { listUndeliveredAlerts } from '../../../target/repos/alert-outbox.ts';
import { openTestDb, useMigratedDatabases, withSabotage } from '../support/throwaway-postgres.ts';

const migratedDb = useMigratedDatabases('alert-drop');

/** A notifier standing for Telegram: every send fails while `down` is true. */
function switchableNotifier(): Notifier & { sent: string[]; down: boolean } {
  const notifier = {
    sent: [] as string[],
    down: true,
    send(_chatId: number, text: string): Promise<SendOutcome> {
      if (notifier.down) return Promise.resolve('failed' as const);
      notifier.sent.push(text);
      return Promise.resolve('sent' as const);
    },
  };
  return notifier;
}

const BOT_UNREACHABLE = { event: 'bot_unreachable', severity: 'critical', source: 'health_monitor', text: 'Bot cannot reach Telegram (getMe fails)' } as const;

test('C4 alert raised while Telegram is down: kept and delivered once it is back; with sabotage alert-drop it is lost', async (t) => {
  const db = await migratedDb(t);
  for (const sabotage of [undefined, 'alert-drop']) {
    await db.pool.query('DELETE FROM alert_outbox');
    const notifier = switchableNotifier();
    const alerts = createAlertService({ db: sabotage ? withSabotage(db, sabotage) : db, notifier, adminChatIds: [1] });
    assert.equal(await alerts.raise(BOT_UNREACHABLE), 'queued');
    assert.equal((await listUndeliveredAlerts(db)).length, sabotage ? 0 : 1, 'kept in the outbox until delivered');
    notifier.down = false;
    const delivered = await alerts.flush();
    if (sabotage === undefined) {
      assert.equal(delivered, 1, 'the kept alert goes out on the next flush');
      assert.equal(notifier.sent.filter((text) => text.startsWith('[CRITICAL] Bot cannot reach Telegram')).length, 1);
    } else {
      assert.equal(delivered, 0);
      assert.deepEqual(notifier.sent, [], 'the alert never reaches the admins');
    }
  }
});

test('DB and Telegram both down: the alert waits in memory; with sabotage alert-drop the memory queue stays empty', async () => {
  for (const sabotage of [undefined, 'alert-drop']) {
    // Nothing listens on port 1: the outbox cannot be written.
    const down = openTestDb('postgres://postgres@127.0.0.1:1/none', { connectTimeoutMs: 200, ...(sabotage ? { sabotage } : {}) }).db;
    const notifier = switchableNotifier();
    const alerts = createAlertService({ db: down, notifier, adminChatIds: [1] });
    await alerts.raise({ ...BOT_UNREACHABLE, event: 'db_down', text: 'Database is unavailable' });
    assert.equal(alerts.memoryQueue().length, sabotage ? 0 : 1);
    notifier.down = false;
    assert.equal(await alerts.flush(), sabotage ? 0 : 1);
    assert.equal(notifier.sent.length, sabotage ? 0 : 1);
  }
});
