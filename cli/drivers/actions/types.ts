/** The action driver contract: a one-shot call with nothing to revert. A driver registers in cli/drivers/registry.ts. */
import type { z } from 'zod';
import type { ActionRecord } from '../../core/journal.ts';
import type { StepSpec } from '../../core/scenario-schema.ts';
import type { StackEndpoints } from '../../stack/types.ts';

export interface ActionContext {
  endpoints: StackEndpoints;
}

/** How an action ended, for its record. */
export type ActionResult = Pick<ActionRecord, 'outcome' | 'detail' | 'error'>;

export interface ActionDriver<S extends z.ZodType<StepSpec> = z.ZodType<StepSpec>> {
  /** The step's `action:` for this driver; the scenario schema's union of actions is made of these. */
  schema: S;
  describe(spec: z.output<S>): string;
  /** Runs the action; never throws: a failed call is an error on the result, and the verdict judges it. */
  run(spec: z.output<S>, ctx: ActionContext): Promise<ActionResult>;
}
