/** The load driver contract: start → a run that can be stopped and yields its record. */
import type { Clock } from '../../core/clock.ts';
import type { EventBus } from '../../core/events.ts';
import type { LoadRecord } from '../../core/journal.ts';
import type { LoadSpec } from '../../core/scenario-schema.ts';
import type { StackEndpoints } from '../../stack/types.ts';

export interface LoadContext {
  endpoints: StackEndpoints;
  clock: Clock;
  bus: EventBus;
}

export interface LoadRun {
  /** Resolves with the step's record once the load has ended by itself (its duration) or by stop(). */
  readonly finished: Promise<LoadRecord>;
  /** Ends the load early; resolves with the record. Safe to call twice. */
  stop(): Promise<LoadRecord>;
}

export interface LoadDriver<S extends LoadSpec = LoadSpec> {
  describe(spec: S): string;
  start(step: string, spec: S, durationMs: number, ctx: LoadContext): LoadRun;
}
