/**
 * Latency bookkeeping for a load step, fed once per response. Keeps two HDR
 * histograms (microsecond resolution): the latency each response measured, and
 * the same corrected for coordinated omission with the step's real intended
 * interval per connection. Also rolls up one-second buckets for charts.
 */
import * as hdr from 'hdr-histogram-js';
import type { LatencySummary, LoadSecond } from '../../core/journal.ts';

const HIGHEST_US = 10 * 60 * 1_000_000; // ten minutes: anything slower is clamped

function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

export function summarize(histogram: hdr.Histogram): LatencySummary {
  const count = histogram.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count,
    min: ms(histogram.minNonZeroValue),
    mean: ms(histogram.mean),
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p95: ms(histogram.getValueAtPercentile(95)),
    p99: ms(histogram.getValueAtPercentile(99)),
    max: ms(histogram.maxValue),
  };
}

/** The value at a percentile of a plain array of milliseconds (nearest-rank). */
export function percentileOf(values: readonly number[], percentile: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export class LatencyRecorder {
  private readonly raw = newHistogram();
  private readonly corrected = newHistogram();
  private readonly intendedIntervalUs: number;
  private bucketStartMs: number;
  private bucket: number[] = [];
  private bucketErrors = 0;
  private bucketFailures = 0;
  private bucketErrorsBy: Record<string, number> = {};
  readonly seconds: LoadSecond[] = [];
  private readonly unreported: LoadSecond[] = [];

  /**
   * @param intendedIntervalMs time between two requests of one connection at the planned rate
   *   (connections / rate seconds). Responses slower than this hid requests that should have been sent.
   * @param startMs clock time the step started, the origin of the one-second buckets
   */
  constructor(intendedIntervalMs: number, startMs: number) {
    this.intendedIntervalUs = Math.max(1, Math.round(intendedIntervalMs * 1000));
    this.bucketStartMs = startMs;
  }

  /**
   * Records one completed response that took latencyMs, observed at clock time nowMs; ok=false
   * counts it as an error too, under `errorKey` (its status) when given.
   */
  record(latencyMs: number, nowMs: number, ok = true, errorKey?: string): void {
    this.roll(nowMs);
    if (!ok) this.countError(errorKey);
    const us = Math.min(HIGHEST_US, Math.max(1, Math.round(latencyMs * 1000)));
    this.raw.recordValue(us);
    this.corrected.recordValueWithExpectedInterval(us, this.intendedIntervalUs);
    this.bucket.push(latencyMs);
  }

  /** Counts one request that got no response at all (socket error, timeout), under `errorKey` when given. */
  recordFailure(nowMs: number, errorKey?: string): void {
    this.roll(nowMs);
    this.countError(errorKey);
    this.bucketFailures += 1;
  }

  private countError(key: string | undefined): void {
    this.bucketErrors += 1;
    if (key !== undefined) this.bucketErrorsBy[key] = (this.bucketErrorsBy[key] ?? 0) + 1;
  }

  /** Closes every one-second bucket that ended before nowMs. */
  roll(nowMs: number): void {
    while (nowMs >= this.bucketStartMs + 1000) this.closeBucket();
  }

  /** The buckets closed since the last call, oldest first (for live progress). */
  takeClosed(): LoadSecond[] {
    return this.unreported.splice(0);
  }

  /** Closes the partial bucket at the end of the step, if anything landed in it. */
  flush(): void {
    if (this.bucket.length > 0 || this.bucketFailures > 0) this.closeBucket();
  }

  private closeBucket(): LoadSecond {
    const second: LoadSecond = {
      tMs: Math.round(this.bucketStartMs),
      requests: this.bucket.length + this.bucketFailures,
      errors: this.bucketErrors,
      p95Ms: percentileOf(this.bucket, 95),
      maxMs: this.bucket.length ? Math.max(...this.bucket) : 0,
      ...(Object.keys(this.bucketErrorsBy).length > 0 ? { errorsBy: this.bucketErrorsBy } : {}),
    };
    this.seconds.push(second);
    this.unreported.push(second);
    this.bucket = [];
    this.bucketErrors = 0;
    this.bucketFailures = 0;
    this.bucketErrorsBy = {};
    this.bucketStartMs += 1000;
    return second;
  }

  rawSummary(): LatencySummary {
    return summarize(this.raw);
  }

  correctedSummary(): LatencySummary {
    return summarize(this.corrected);
  }
}
