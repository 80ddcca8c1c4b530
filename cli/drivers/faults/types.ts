/**
 * The fault driver contract: one required pair, inject → revert. A revert must
 * work from nothing but the step name and spec, in a fresh process, so that
 * `chaosctl recover` can undo what a killed run left behind; and it must be
 * safe to run twice.
 */
import type { FaultSpec } from '../../core/scenario-schema.ts';
import type { StackEndpoints, StackProvider } from '../../stack/types.ts';

export interface FaultContext {
  stack: StackProvider;
  endpoints: StackEndpoints;
}

export interface FaultDriver<S extends FaultSpec = FaultSpec> {
  /** One line for people: "latency 800 ms on proxy postgres". */
  describe(spec: S): string;
  /** May resolve to what was done in the stack's own terms ("container x: docker stop"), for the journal. */
  inject(step: string, spec: S, ctx: FaultContext): Promise<string | void>;
  /** May resolve to what was done in the stack's own terms, for the journal. */
  revert(step: string, spec: S, ctx: FaultContext): Promise<string | void>;
  /** Optional backstop that clears every fault of this kind, used by recover and teardown. */
  resetAll?(ctx: FaultContext): Promise<void>;
}
