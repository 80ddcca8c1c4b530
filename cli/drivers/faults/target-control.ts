/**
 * Faults inside the target, through its own /_control API (target/control/routes.ts):
 * scheduler-stop is the seed's `scheduler.shutdown()` (C3); the revert starts the
 * scheduler again. Both calls are idempotent on the target's side, so a revert is safe
 * to repeat and works from the spec alone (chaosctl recover).
 */
import { request } from 'undici';
import { ChaosError } from '../../engine/errors.ts';
import type { TargetFaultSpec } from '../../engine/scenario-schema.ts';
import type { StackEndpoints } from '../../stack/types.ts';
import type { FaultContext, FaultDriver } from './types.ts';

export const CONTROL_TOKEN_HEADER = 'x-control-token';

/** One control call: method and path under the target's base URL. */
export interface TargetControlCall {
  method: 'POST';
  path: string;
}

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

/**
 * One call to the target's control API with the stack's token; the parsed JSON answer.
 * Anything but 200 is an error carrying the status and the start of the body.
 */
export async function controlRequest(endpoints: StackEndpoints, call: TargetControlCall & { body?: unknown }, timeoutMs: number, operation: string): Promise<unknown> {
  const token = endpoints.controlToken;
  if (!token) throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation, detail: 'this stack has no control token for the target' });
  const url = new URL(call.path, endpoints.targetUrl);
  const headers: Record<string, string> = { [CONTROL_TOKEN_HEADER]: token };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const response = await request(url, {
    method: call.method,
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${call.method} ${url.pathname} answered ${response.statusCode}: ${text.slice(0, 200)}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
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

export const targetControlFaultDriver: FaultDriver<TargetFaultSpec> = {
  describe(spec) {
    switch (spec.action) {
      case 'scheduler-stop':
        return 'target scheduler stopped (scheduler.shutdown() through /_control)';
    }
  },
  inject: (_step, spec, ctx) => run('inject', spec, ctx, injectCall(spec), false),
  revert: (_step, spec, ctx) => run('revert', spec, ctx, revertCall(spec), true),
};
