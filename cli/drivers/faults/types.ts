/**
 * The fault driver contract: one required pair, inject → revert. A revert must
 * work from nothing but the step name and spec, in a fresh process, so that
 * `chaosctl recover` can undo what a killed run left behind; and it must be
 * safe to run twice. A driver registers in cli/drivers/registry.ts.
 */
import type { z } from 'zod';
import type { StepSpec } from '../../core/scenario-schema.ts';
import type { StackEndpoints, StackProvider } from '../../stack/types.ts';

export interface FaultContext {
  stack: StackProvider;
  endpoints: StackEndpoints;
}

export interface FaultDriver<S extends z.ZodType<StepSpec> = z.ZodType<StepSpec>> {
  /** The step's `fault:` for this driver; the scenario schema's union of faults is made of these. */
  schema: S;
  /** One line for people: "latency 800 ms on proxy postgres". */
  describe(spec: z.output<S>): string;
  /** May resolve to what was done in the stack's own terms ("container x: docker stop"), for the journal. */
  inject(step: string, spec: z.output<S>, ctx: FaultContext): Promise<string | void>;
  /** May resolve to what was done in the stack's own terms, for the journal. */
  revert(step: string, spec: z.output<S>, ctx: FaultContext): Promise<string | void>;
  /** Optional backstop that clears every fault of this kind, used by recover and teardown. */
  resetAll?(ctx: FaultContext): Promise<void>;
}
