/** Faults inside the simulated outside services, through each simulator's /_sim control API. */
import { request } from 'undici';
import { ChaosError } from '../../core/errors.ts';
import { formatMs, toMs } from '../../core/duration.ts';
import { z } from 'zod';
import { duration } from '../../core/scenario-schema.ts';
import type { FaultContext, FaultDriver } from './types.ts';

/**
 * A fault inside one of the simulated outside services, through its control API:
 * slowness, a hang, forced errors (e.g. Telegram 429 with retry_after), flood
 * limits, a user who blocked the bot. Reverting restores the simulator's normal behaviour.
 */
export const SimFaultSchema = z
  .object({
    driver: z.literal('sim'),
    sim: z.enum(['telegram', 'yookassa', 'cryptopay']),
    action: z
      .enum(['latency', 'hang', 'errors', 'flood', 'block-user'])
      .describe('latency: every API call waits; hang: calls are held until reverted; errors: the next `count` calls fail with `status`; flood (telegram): scale the flood limits; block-user (telegram): the user blocked the bot.'),
    latency: duration.optional().describe('latency: added to every API call.'),
    jitter: duration.optional().describe('latency: random extra, up to this much.'),
    status: z.number().int().min(400).max(599).optional().describe('errors: the HTTP status / error code to answer with (e.g. 429, 500, 503).'),
    count: z.number().int().min(1).max(100_000).optional().describe('errors: how many calls fail (default 1).'),
    retryAfter: z.number().int().min(1).max(3600).optional().describe('errors with 429 on telegram: the retry_after in seconds.'),
    methods: z.array(z.string()).optional().describe('errors: only these API methods fail (e.g. sendMessage).'),
    processed: z
      .boolean()
      .optional()
      .describe('errors on yookassa or cryptopay: the call does its work first, then fails: the provider acted but its answer was lost (a retry with the same idempotence key finds the result).'),
    scale: z.number().positive().max(100_000).optional().describe('flood: multiplier on every Telegram flood limit (10 = ten times as many messages).'),
    floodEnabled: z.boolean().optional().describe('flood: false turns the limits off.'),
    user: z.number().int().min(1).optional().describe('block-user: the virtual user number.'),
  })
  .strict()
  .refine((f) => (f.action !== 'flood' && f.action !== 'block-user') || f.sim === 'telegram', {
    message: 'flood and block-user exist only on the telegram simulator',
  })
  .refine((f) => f.processed !== true || (f.action === 'errors' && f.sim !== 'telegram'), {
    message: 'processed applies to errors on the yookassa and cryptopay simulators',
  });
export type SimFaultSpec = z.output<typeof SimFaultSchema>;

/** One control call: method, path under /_sim, JSON body. */
export interface ControlCall {
  method: 'PUT' | 'POST' | 'DELETE';
  path: string;
  body?: Record<string, unknown>;
}

/** The control calls that put a fault in place. */
export function injectCalls(spec: SimFaultSpec): ControlCall[] {
  switch (spec.action) {
    case 'latency':
      return [{ method: 'PUT', path: '/faults/latency', body: { fixed_ms: toMs(spec.latency ?? '1s'), jitter_ms: spec.jitter ? toMs(spec.jitter) : 0 } }];
    case 'hang':
      // Bounded by the simulator too: a hang clears itself after max_ms even if nobody reverts it.
      return [{ method: 'PUT', path: '/faults/hang', body: { on: true, max_ms: 600_000 } }];
    case 'errors': {
      const status = spec.status ?? 500;
      const count = spec.count ?? 1;
      const methods = spec.methods ? { methods: spec.methods } : {};
      if (spec.sim === 'telegram') {
        return [{ method: 'POST', path: '/faults/errors', body: { error_code: status, count, ...(spec.retryAfter ? { retry_after: spec.retryAfter } : {}), ...methods } }];
      }
      const processed = spec.processed ? { processed: true } : {};
      if (spec.sim === 'yookassa') return [{ method: 'POST', path: '/faults/errors', body: { status, count, ...processed, ...methods } }];
      return [{ method: 'POST', path: '/faults/errors', body: { code: status, count, ...processed, ...methods } }];
    }
    case 'flood':
      return [{ method: 'PUT', path: '/flood', body: { scale: spec.scale ?? 1, ...(spec.floodEnabled === undefined ? {} : { enabled: spec.floodEnabled }) } }];
    case 'block-user':
      return [{ method: 'POST', path: `/users/${spec.user ?? 1}/block` }];
  }
}

/** The control calls that undo it. Safe to repeat. */
export function revertCalls(spec: SimFaultSpec): ControlCall[] {
  switch (spec.action) {
    case 'latency':
      return [{ method: 'PUT', path: '/faults/latency', body: { fixed_ms: 0, jitter_ms: 0 } }];
    case 'hang':
      return [{ method: 'DELETE', path: '/faults/hang' }];
    case 'errors':
      return [{ method: 'DELETE', path: '/faults/errors' }];
    case 'flood':
      return [{ method: 'PUT', path: '/flood', body: { scale: 1, enabled: true } }];
    case 'block-user':
      return [{ method: 'POST', path: `/users/${spec.user ?? 1}/unblock` }];
  }
}

/** Every simulator back to normal behaviour (not its data): used by recover. */
export function resetCalls(sim: SimFaultSpec['sim']): ControlCall[] {
  const common: ControlCall[] = [
    { method: 'PUT', path: '/faults/latency', body: { fixed_ms: 0, jitter_ms: 0 } },
    { method: 'DELETE', path: '/faults/hang' },
    { method: 'DELETE', path: '/faults/errors' },
  ];
  return sim === 'telegram' ? [...common, { method: 'PUT', path: '/flood', body: { scale: 1, enabled: true } }] : common;
}

async function send(base: string, call: ControlCall): Promise<void> {
  const url = new URL(`/_sim${call.path}`, base);
  const response = await request(url, {
    method: call.method,
    headers: call.body ? { 'content-type': 'application/json' } : {},
    ...(call.body ? { body: JSON.stringify(call.body) } : {}),
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) throw new Error(`${call.method} ${url.pathname} answered ${response.statusCode}: ${text.slice(0, 200)}`);
}

function baseOf(spec: SimFaultSpec, ctx: FaultContext): string {
  const base = ctx.endpoints.sims?.[spec.sim];
  if (!base) throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: `a ${spec.sim} simulator fault`, detail: 'this stack runs no such simulator' });
  return base;
}

async function run(operation: string, spec: SimFaultSpec, ctx: FaultContext, calls: ControlCall[]): Promise<void> {
  const base = baseOf(spec, ctx);
  try {
    for (const call of calls) await send(base, call);
  } catch (error) {
    throw new ChaosError('CHAOSCTL_E_DRIVER', { driver: 'sim', operation, target: `${spec.sim} simulator`, detail: (error as Error).message }, { cause: error });
  }
}

export const simFaultDriver: FaultDriver<typeof SimFaultSchema> = {
  schema: SimFaultSchema,
  describe(spec) {
    switch (spec.action) {
      case 'latency':
        return `${spec.sim} simulator answers ${formatMs(toMs(spec.latency ?? '1s'))} late${spec.jitter ? ` (± ${formatMs(toMs(spec.jitter))})` : ''}`;
      case 'hang':
        return `${spec.sim} simulator holds every call (hang)`;
      case 'errors':
        return `${spec.sim} simulator fails the next ${spec.count ?? 1} call(s) with ${spec.status ?? 500}${spec.retryAfter ? ` (retry_after ${spec.retryAfter} s)` : ''}${spec.methods ? ` on ${spec.methods.join(', ')}` : ''}`;
      case 'flood':
        return spec.floodEnabled === false ? 'telegram flood limits off' : `telegram flood limits ×${spec.scale ?? 1}`;
      case 'block-user':
        return `virtual user ${spec.user ?? 1} blocked the bot`;
    }
  },
  inject: (_step, spec, ctx) => run('inject', spec, ctx, injectCalls(spec)),
  revert: (_step, spec, ctx) => run('revert', spec, ctx, revertCalls(spec)),
  async resetAll(ctx) {
    for (const sim of ['telegram', 'yookassa', 'cryptopay'] as const) {
      const base = ctx.endpoints.sims?.[sim];
      if (base) for (const call of resetCalls(sim)) await send(base, call);
    }
  },
};
