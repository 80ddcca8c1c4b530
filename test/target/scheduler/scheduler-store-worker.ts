/**
 * One scheduler in its own OS process, for the lease test of
 * scheduler-store.test.ts: it runs the job `lease_job` (every 100 ms, each run
 * 300 ms) against the shared job store and writes every run, with the
 * database's clock, into `lease_probe`. Started by the test, never on its own.
 *
 * Environment: DATABASE_URL, WORKER (a label), START_AT (epoch ms: both workers
 * start their schedulers together), RUN_FOR_MS, CHAOSCTL_SABOTAGE (optional).
 */
import { createDb } from '../../../target/db/handle.ts';
import { createDbPool } from '../../../target/db/pool.ts';
import { parseSabotage } from '../../../target/sabotage.ts';
import { createScheduler } from '../../../target/scheduler/scheduler.ts';

const env = process.env;
const worker = env.WORKER ?? 'worker';
const pool = createDbPool(
  { databaseUrl: env.DATABASE_URL ?? '', dbPoolMax: 5, dbPoolBurst: 5, dbConnectTimeoutMs: 5000, dbStatementTimeoutMs: 20_000 },
  { warn: () => undefined },
);
const db = createDb(pool, parseSabotage(env));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const scheduler = createScheduler({
  db,
  tickMs: 20,
  jobs: [
    {
      name: 'lease_job',
      intervalMs: 100,
      firstRunAfterMs: 0,
      async run() {
        const { rows } = await pool.query<{ id: string }>('INSERT INTO lease_probe (worker, started_at) VALUES ($1, clock_timestamp()) RETURNING id', [worker]);
        await sleep(300);
        await pool.query('UPDATE lease_probe SET finished_at = clock_timestamp() WHERE id = $1', [rows[0]?.id]);
        return { status: 'ok' };
      },
    },
  ],
});

await sleep(Math.max(0, Number(env.START_AT ?? 0) - Date.now()));
await scheduler.start();
await sleep(Number(env.RUN_FOR_MS ?? 3000));
await scheduler.stop();
await pool.end();
