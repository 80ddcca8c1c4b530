/**
 * What every load driver keeps while it runs: requests sent, outcomes by key,
 * errors, latency into the recorder, one-second samples streamed to the bus;
 * and, at the end, the LoadRecord built from all of it.
 */
import type { Clock } from '../../core/clock.ts';
import type { EventBus } from '../../core/events.ts';
import type { LoadRecord } from '../../core/journal.ts';
import { LatencyRecorder } from './latency-recorder.ts';
import type { StepSpec } from '../../core/scenario-schema.ts';

/** For drivers whose requests are not paced by a sending rate: nothing to correct for coordinated omission. */
export const NO_PACING = Number.MAX_SAFE_INTEGER / 1000;

export class LoadTally {
  readonly startedMs: number;
  private readonly recorder: LatencyRecorder;
  private readonly counts: Record<string, number> = {};
  private requests = 0;
  private errors = 0;

  /**
   * @param intendedIntervalMs time between two requests of one connection at the planned rate, or NO_PACING
   */
  constructor(
    private readonly step: string,
    private readonly clock: Clock,
    private readonly bus: EventBus,
    intendedIntervalMs: number,
  ) {
    this.startedMs = clock.now();
    this.recorder = new LatencyRecorder(intendedIntervalMs, this.startedMs);
  }

  /** One request (update, delivery, HTTP call) was sent. */
  sent(): void {
    this.requests += 1;
  }

  /**
   * One outcome under `key`; an error when `bad`. With a latency it joins the
   * histogram (as an error response when bad); without one, a bad outcome is a
   * failure with no answer.
   */
  outcome(key: string, bad: boolean, latencyMs?: number): void {
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    const now = this.clock.now();
    if (bad) this.errors += 1;
    if (latencyMs !== undefined) this.recorder.record(latencyMs, now, !bad, key);
    else if (bad) this.recorder.recordFailure(now, key);
    this.tick(now);
  }

  /** Closes the seconds that have ended and streams them (call it on a timer too, so quiet seconds show). */
  tick(now = this.clock.now()): void {
    this.recorder.roll(now);
    for (const second of this.recorder.takeClosed()) this.bus.emit('load:second', { step: this.step, second });
  }

  /** Closes the last second and builds the step's record. */
  finish(spec: StepSpec, description: string, driverError?: string): LoadRecord {
    const endedMs = this.clock.now();
    this.recorder.roll(endedMs);
    this.recorder.flush();
    this.tick(endedMs);
    const seconds = Math.max(0.001, (endedMs - this.startedMs) / 1000);
    return {
      step: this.step,
      spec,
      description,
      startedMs: this.startedMs,
      endedMs,
      requests: this.requests,
      errors: this.errors,
      statusCounts: { ...this.counts },
      latency: this.recorder.rawSummary(),
      correctedLatency: this.recorder.correctedSummary(),
      achievedRate: Math.round((this.requests / seconds) * 10) / 10,
      series: this.recorder.seconds,
      ...(driverError ? { driverError } : {}),
    };
  }
}
