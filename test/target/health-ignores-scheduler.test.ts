/**
 * Sabotage health-ignores-scheduler (C3): GET /health reports a stopped
 * scheduler as 503; with the switch on it leaves the scheduler out and says
 * 200. Real PostgreSQL behind the database check and a real scheduler on it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDbCheck } from '../../target/health/db-check.ts';
import { buildApp, type HealthBody } from '../../target/http/app.ts';
import { parseSabotage } from '../../target/sabotage.ts';
import { createScheduler } from '../../target/scheduler/scheduler.ts';
import { useMigratedDatabases } from './support/throwaway-postgres.ts';

const migratedDb = useMigratedDatabases('health-scheduler');

test('C3 health: 503 while the scheduler is stopped, 200 once it runs; with sabotage health-ignores-scheduler 200 throughout', async (t) => {
  const db = await migratedDb(t);
  for (const switches of ['', 'health-ignores-scheduler']) {
    const scheduler = createScheduler({ db, jobs: [] });
    const app = buildApp({ checkDb: createDbCheck(db.pool, 500), sabotage: parseSabotage({ CHAOSCTL_SABOTAGE: switches }), scheduler });
    try {
      const stopped = await app.inject({ method: 'GET', url: '/health' });
      const body = stopped.json<HealthBody>();
      assert.equal(body.components.db.ok, true, 'the database is up');
      if (switches === '') {
        assert.equal(stopped.statusCode, 503);
        assert.deepEqual(body.components.scheduler, { ok: false, error: 'scheduler is not running' });
      } else {
        assert.equal(stopped.statusCode, 200, 'the stopped scheduler goes unnoticed');
        assert.equal(body.components.scheduler, undefined);
      }
      await scheduler.start();
      assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    } finally {
      await scheduler.stop();
      await app.close();
    }
  }
});
