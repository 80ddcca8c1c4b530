/**
 * The load driver contract: its spec's schema, a description, and start → a run that can be
 * stopped and yields its record. A driver registers in cli/drivers/registry.ts.
 */
import type { z } from 'zod';
import type { Clock } from '../../core/clock.ts';
import type { EventBus } from '../../core/events.ts';
import type { LoadRecord } from '../../core/journal.ts';
import type { StepSpec } from '../../core/scenario-schema.ts';
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

export interface LoadDriver<S extends z.ZodType<StepSpec> = z.ZodType<StepSpec>> {
  /** The step's `load:` for this driver; the scenario schema's union of loads is made of these. */
  schema: S;
  describe(spec: z.output<S>): string;
  start(step: string, spec: z.output<S>, durationMs: number, ctx: LoadContext): LoadRun;
  /**
   * The path on the target's HTTP side this load sends to, when it sends to one: a probe
   * expectation on the same path can require some of its non-2xx answers (L11's 503s).
   */
  targetPath?(spec: z.output<S>): string;
}
