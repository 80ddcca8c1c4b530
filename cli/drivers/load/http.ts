/**
 * HTTP load on autocannon at a fixed overall rate. Every response is fed into the
 * project's own latency recorder (autocannon itself reports no p95 and corrects for
 * coordinated omission as if every request were 1 ms apart, so its percentiles are not used).
 */
import autocannon from 'autocannon';
import { toMs } from '../../engine/duration.ts';
import type { LoadRecord } from '../../engine/journal.ts';
import { LatencyRecorder } from '../../engine/latency-recorder.ts';
import type { HttpLoadSpec } from '../../engine/scenario-schema.ts';
import type { LoadDriver, LoadRun } from './types.ts';

/** autocannon never uses more connections than requests per second. */
export function effectiveConnections(spec: HttpLoadSpec): number {
  return Math.max(1, Math.min(spec.connections, Math.floor(spec.rate)));
}

/** Time between two requests of one connection at the planned rate. */
export function intendedIntervalMs(spec: HttpLoadSpec): number {
  return (1000 * effectiveConnections(spec)) / spec.rate;
}

export const httpLoadDriver: LoadDriver<HttpLoadSpec> = {
  describe(spec) {
    return `HTTP ${spec.method} ${spec.path} at ${spec.rate}/s over ${effectiveConnections(spec)} connections`;
  },

  start(step, spec, durationMs, ctx): LoadRun {
    const url = new URL(spec.path, ctx.endpoints.targetUrl);
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && url.hostname !== '[::1]') {
      throw new Error(`refusing to send load to ${url.host}: chaosctl targets loopback only`);
    }
    const startedMs = ctx.clock.now();
    const recorder = new LatencyRecorder(intendedIntervalMs(spec), startedMs);
    const statusCounts: Record<string, number> = {};
    let requests = 0;
    let errors = 0;
    const count = (key: string): void => {
      statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    };
    const emitClosed = (nowMs: number): void => {
      recorder.roll(nowMs);
      for (const second of recorder.takeClosed()) ctx.bus.emit('load:second', { step, second });
    };

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
      const nowMs = ctx.clock.now();
      const ok = statusCode >= 200 && statusCode < 300;
      requests += 1;
      if (!ok) errors += 1;
      count(String(statusCode));
      recorder.record(responseTime, nowMs, ok);
      emitClosed(nowMs);
    });
    instance.on('reqError', (error: unknown) => {
      const nowMs = ctx.clock.now();
      requests += 1;
      errors += 1;
      count(/timed out/i.test(String((error as Error | null)?.message)) ? 'timeout' : 'error');
      recorder.recordFailure(nowMs);
      emitClosed(nowMs);
    });
    const ticker = setInterval(() => emitClosed(ctx.clock.now()), 250);

    function finish(): LoadRecord {
      if (record) return record;
      clearInterval(ticker);
      const endedMs = ctx.clock.now();
      recorder.roll(endedMs);
      recorder.flush();
      for (const second of recorder.takeClosed()) ctx.bus.emit('load:second', { step, second });
      const seconds = Math.max(0.001, (endedMs - startedMs) / 1000);
      record = {
        step,
        spec,
        description: `${httpLoadDriver.describe(spec)}, timeout ${spec.timeout}`,
        startedMs,
        endedMs,
        requests,
        errors,
        statusCounts,
        latency: recorder.rawSummary(),
        correctedLatency: recorder.correctedSummary(),
        achievedRate: Math.round((requests / seconds) * 10) / 10,
        series: recorder.seconds,
      };
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
