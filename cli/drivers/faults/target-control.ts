/**
 * Faults inside the target, through its own /_control API (target/control/routes.ts):
 * scheduler-stop is the seed's `scheduler.shutdown()` (C3); the revert starts the
 * scheduler again. Both calls are idempotent on the target's side, so a revert is safe
 * to repeat and works from the spec alone (chaosctl recover).
 */
import { ChaosError } from '../../core/errors.ts';
import { z } from 'zod';
import { controlRequest } from '../target-client.ts';
import type { TargetControlCall } from '../target-client.ts';
import type { FaultContext, FaultDriver } from './types.ts';

/**
 * A fault inside the target itself, through its /_control API (needs the stack's control
 * token): scheduler-stop is the seed's `scheduler.shutdown()` (C3). Reverting starts the
 * scheduler again.
 */
export const TargetFaultSchema = z
  .object({
    driver: z.literal('target'),
    action: z.enum(['scheduler-stop']).describe('scheduler-stop: POST /_control/scheduler/stop; the revert POSTs /_control/scheduler/start.'),
  })
  .strict();
export type TargetFaultSpec = z.output<typeof TargetFaultSchema>;

export function injectCall(spec: TargetFaultSpec): TargetControlCall {
  switch (spec.action) {
    case 'scheduler-stop':
      return { method: 'POST', path: '/_control/scheduler/stop' };
  }
}

export function revertCall(spec: TargetFaultSpec): TargetControlCall {
  switch (spec.action) {
    case 'scheduler-stop':
      return { method: 'POST', path: '/_control/scheduler/start' };
  }
}

// The scheduler's stop waits (bounded) for running jobs: give it a little longer than a probe.
const send = (ctx: FaultContext, call: TargetControlCall): Promise<unknown> => controlRequest(ctx.endpoints, call, 20_000, 'a target control fault');

async function run(operation: string, spec: TargetFaultSpec, ctx: FaultContext, call: TargetControlCall, wantRunning: boolean): Promise<void> {
  try {
    const answer = (await send(ctx, call)) as { running?: unknown } | null;
    if (answer?.running !== wantRunning) throw new Error(`${call.path} answered running=${String(answer?.running)}, expected ${String(wantRunning)}`);
  } catch (error) {
    if (error instanceof ChaosError) throw error;
    throw new ChaosError('CHAOSCTL_E_DRIVER', { driver: 'target', operation, target: 'target scheduler', detail: (error as Error).message }, { cause: error });
  }
}

export const targetControlFaultDriver: FaultDriver<typeof TargetFaultSchema> = {
  schema: TargetFaultSchema,
  describe(spec) {
    switch (spec.action) {
      case 'scheduler-stop':
        return 'target scheduler stopped (scheduler.shutdown() through /_control)';
    }
  },
  inject: (_step, spec, ctx) => run('inject', spec, ctx, injectCall(spec), false),
  revert: (_step, spec, ctx) => run('revert', spec, ctx, revertCall(spec), true),
};
