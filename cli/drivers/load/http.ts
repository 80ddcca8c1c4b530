/**
 * HTTP load on autocannon at a fixed overall rate. Every response is fed into the
 * project's own latency recorder (autocannon itself reports no p95 and corrects for
 * coordinated omission as if every request were 1 ms apart, so its percentiles are not used).
 */
import autocannon from 'autocannon';
import { toMs } from '../../core/duration.ts';
import type { LoadRecord } from '../../core/journal.ts';
import { z } from 'zod';
import { duration, urlPath } from '../../core/scenario-schema.ts';
import { LoadTally } from './load-tally.ts';
import type { LoadDriver, LoadRun } from './types.ts';

/** HTTP load against the target at an open arrival rate. */
export const HttpLoadSchema = z
  .object({
    driver: z.literal('http'),
    path: urlPath.describe('Path on the target HTTP side, e.g. /health.'),
    method: z.enum(['GET', 'POST']).default('GET'),
    rate: z.number().positive().max(5000).describe('Requests per second, across all connections.'),
    connections: z.number().int().positive().max(200).default(10),
    timeout: duration.default('10s').describe('A request slower than this counts as an error.'),
  })
  .strict();
export type HttpLoadSpec = z.output<typeof HttpLoadSchema>;

/** autocannon never uses more connections than requests per second. */
export function effectiveConnections(spec: HttpLoadSpec): number {
  return Math.max(1, Math.min(spec.connections, Math.floor(spec.rate)));
}

/** Time between two requests of one connection at the planned rate. */
export function intendedIntervalMs(spec: HttpLoadSpec): number {
  return (1000 * effectiveConnections(spec)) / spec.rate;
}

export const httpLoadDriver: LoadDriver<typeof HttpLoadSchema> = {
  schema: HttpLoadSchema,
  describe(spec) {
    return `HTTP ${spec.method} ${spec.path} at ${spec.rate}/s over ${effectiveConnections(spec)} connections`;
  },

  targetPath: (spec) => spec.path,

  start(step, spec, durationMs, ctx): LoadRun {
    const url = new URL(spec.path, ctx.endpoints.targetUrl);
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && url.hostname !== '[::1]') {
      throw new Error(`refusing to send load to ${url.host}: chaosctl targets loopback only`);
    }
    const tally = new LoadTally(step, ctx.clock, ctx.bus, intendedIntervalMs(spec));

    let resolveFinished!: (record: LoadRecord) => void;
    const finished = new Promise<LoadRecord>((resolve) => (resolveFinished = resolve));
    let record: LoadRecord | null = null;

    const instance = autocannon(
      {
        url: url.toString(),
        method: spec.method,
        connections: effectiveConnections(spec),
        overallRate: spec.rate,
        // A backstop only: the runner stops the load at the end of its step.
        duration: Math.ceil(durationMs / 1000) + 5,
        timeout: Math.max(1, Math.ceil(toMs(spec.timeout) / 1000)),
        // autocannon's aggregate (and its 1 ms coordinated-omission guess) is not used.
        skipAggregateResult: true,
      },
      () => finish(),
    );

    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      tally.sent();
      tally.outcome(String(statusCode), statusCode < 200 || statusCode >= 300, responseTime);
    });
    instance.on('reqError', (error: unknown) => {
      tally.sent();
      tally.outcome(/timed out/i.test(String((error as Error | null)?.message)) ? 'timeout' : 'error', true);
    });
    const ticker = setInterval(() => tally.tick(), 250);

    function finish(): LoadRecord {
      if (record) return record;
      clearInterval(ticker);
      record = { ...tally.finish(spec, `${httpLoadDriver.describe(spec)}, timeout ${spec.timeout}`), plannedRate: spec.rate };
      resolveFinished(record);
      return record;
    }

    let stopping: Promise<LoadRecord> | null = null;
    return {
      finished,
      stop() {
        stopping ??= new Promise<LoadRecord>((resolve) => {
          instance.stop();
          // autocannon notices the stop on its next one-second tick; bound the wait anyway.
          const guard = setTimeout(() => resolve(finish()), 3000);
          void finished.then((r) => {
            clearTimeout(guard);
            resolve(r);
          });
        });
        return stopping;
      },
    };
  },
};
