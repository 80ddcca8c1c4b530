/**
 * Stop conditions (a scenario's `abortWhen`): brakes watched live during the
 * timeline, from the same events the dashboard reads. A probe brake holds while
 * the probe's samples fail a condition, sample after sample; a load brake
 * holds while each second of a load fails more than a share of its requests.
 * When one has held for its `for` without a break, `onHold` is called once
 * and the runner stops the timeline.
 */
import { checkCondition, describeCondition } from './assertions.ts';
import { formatMs, toMs } from '../core/duration.ts';
import type { EventBus } from '../core/events.ts';
import type { StopRecord } from '../core/journal.ts';
import type { StopCondition } from '../core/scenario-schema.ts';

export function stopConditionId(condition: StopCondition, index: number): string {
  return condition.id ?? `abort-${index + 1}`;
}

/** "health does not meet status 200 for 5.0 s" / "load flood fails more than 50 % of a second's requests for 3.0 s". */
export function describeStopCondition(condition: StopCondition): string {
  const lasting = toMs(condition.for) === 0 ? 'once' : `for ${formatMs(toMs(condition.for))}`;
  if (condition.probe !== undefined && condition.unmet !== undefined) return `probe ${condition.probe} does not meet ${describeCondition(condition.unmet)} ${lasting}`;
  return `load ${condition.load ?? '?'} fails more than ${condition.errorRateAbove ?? 0} % of a second's requests ${lasting}`;
}

interface Watch {
  id: string;
  condition: StopCondition;
  forMs: number;
  /** Run-clock time the current unbroken stretch began, or null. */
  since: number | null;
  /** What the stretch has seen so far, for the evidence. */
  seen: number;
  last: string;
}

/** Subscribes the brakes to the bus; returns a function that unsubscribes them. */
export function watchStopConditions(conditions: readonly StopCondition[], bus: EventBus, onHold: (record: StopRecord) => void): () => void {
  if (conditions.length === 0) return () => undefined;
  const watches: Watch[] = conditions.map((condition, index) => ({ id: stopConditionId(condition, index), condition, forMs: toMs(condition.for), since: null, seen: 0, last: '' }));
  let fired = false;
  const update = (watch: Watch, holds: boolean, startMs: number, endMs: number, what: string, unit: string): void => {
    if (fired) return;
    if (!holds) {
      watch.since = null;
      watch.seen = 0;
      return;
    }
    watch.since ??= startMs;
    watch.seen += 1;
    watch.last = what;
    if (endMs - watch.since < watch.forMs) return;
    fired = true;
    onHold({
      id: watch.id,
      description: describeStopCondition(watch.condition),
      atMs: endMs,
      sinceMs: watch.since,
      evidence: `${watch.seen} ${unit}${watch.seen === 1 ? '' : 's'} in a row since ${formatMs(watch.since)}; the last: ${watch.last}`,
    });
  };
  const offSample = bus.on('probe:sample', ({ probe, sample }) => {
    for (const watch of watches) {
      if (watch.condition.probe !== probe || watch.condition.unmet === undefined) continue;
      const { ok, why } = checkCondition(sample, watch.condition.unmet);
      update(watch, !ok, sample.tMs, sample.tMs, why, 'sample');
    }
  });
  const offSecond = bus.on('load:second', ({ step, second }) => {
    for (const watch of watches) {
      if (watch.condition.load !== step || second.requests === 0) continue;
      const percent = (second.errors / second.requests) * 100;
      const what = `${second.errors} of ${second.requests} failed (${percent.toFixed(0)} %) in the second from ${formatMs(second.tMs)}`;
      update(watch, percent > (watch.condition.errorRateAbove ?? 100), second.tMs, second.tMs + 1000, what, 'second');
    }
  });
  return () => {
    offSample();
    offSecond();
  };
}
