/**
 * chaosctl's HTTP load driver alone in its own process: the bench measures the
 * driver and its latency recorder, not the bench's own event loop. Reads one job
 * (JSON) from argv, prints "started" on stderr when the load begins, and the
 * driver's LoadRecord as JSON on stdout when it ends. Bounded: the load stops
 * after its duration, and the process after twice that.
 */
import { startClock } from '../cli/core/clock.ts';
import { EventBus } from '../cli/core/events.ts';
import type { HttpLoadSpec } from '../cli/drivers/load/http.ts';
import { httpLoadDriver } from '../cli/drivers/load/http.ts';

export interface DriverJob {
  targetUrl: string;
  spec: HttpLoadSpec;
  durationMs: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as DriverJob;
  const backstop = setTimeout(() => {
    process.stderr.write('driver process: backstop reached\n');
    process.exit(3);
  }, job.durationMs * 2 + 15_000);
  backstop.unref();
  const clock = startClock();
  const bus = new EventBus();
  const endpoints = { targetUrl: job.targetUrl, toxiproxyUrl: '', databaseUrl: '', proxies: {} };
  const run = httpLoadDriver.start('bench', job.spec, job.durationMs, { endpoints, clock, bus });
  process.stderr.write('started\n');
  await clock.sleep(job.durationMs);
  const record = await run.stop();
  process.stdout.write(`${JSON.stringify(record)}\n`);
  process.exit(0);
}

void main();
