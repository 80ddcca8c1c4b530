/** Network faults through the real Toxiproxy server in front of each dependency. */
import { Toxiproxy, type ICreateToxicBody } from 'toxiproxy-node-client';
import { ChaosError } from '../../core/errors.ts';
import { formatMs, toMs } from '../../core/duration.ts';
import { z } from 'zod';
import { duration, name } from '../../core/scenario-schema.ts';
import type { FaultContext, FaultDriver } from './types.ts';

/** A network fault on one dependency's Toxiproxy proxy. */
export const ToxiproxyFaultSchema = z
  .object({
    driver: z.literal('toxiproxy'),
    proxy: name.describe('The proxy in front of a dependency: postgres, telegram, yookassa, cryptopay.'),
    toxic: z.enum(['latency', 'timeout', 'reset_peer', 'down']).describe('"down" disables the proxy: new and open connections fail.'),
    latency: duration.optional().describe('latency: added delay.'),
    jitter: duration.optional().describe('latency: random extra delay, up to this much.'),
    timeout: duration.optional().describe('timeout / reset_peer: close the connection after this long (0ms = hold it open for timeout).'),
    stream: z.enum(['upstream', 'downstream']).default('downstream'),
    toxicity: z.number().min(0).max(1).default(1).describe('Share of connections affected.'),
  })
  .strict();
export type ToxiproxyFaultSpec = z.output<typeof ToxiproxyFaultSchema>;

/** Toxics chaosctl adds are named after their step, so a revert can find them again from the spec alone. */
export function toxicName(step: string): string {
  return `chaosctl-${step}`;
}

/** The attributes Toxiproxy expects for a toxic, all in milliseconds. */
export function toxicAttributes(spec: ToxiproxyFaultSpec): Record<string, number> {
  switch (spec.toxic) {
    case 'latency':
      return { latency: toMs(spec.latency ?? '1s'), jitter: spec.jitter ? toMs(spec.jitter) : 0 };
    case 'timeout':
    case 'reset_peer':
      return { timeout: spec.timeout ? toMs(spec.timeout) : 0 };
    case 'down':
      return {};
  }
}

function driverError(operation: string, spec: ToxiproxyFaultSpec, cause: unknown): ChaosError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new ChaosError('CHAOSCTL_E_DRIVER', { driver: 'toxiproxy', operation, target: `proxy ${spec.proxy}`, detail }, { cause });
}

/** toxiproxy-node-client throws errors carrying the HTTP status; 404 means "already gone". */
function isNotFound(error: unknown): boolean {
  const status = (error as { response?: { status?: number }; status?: number } | null)?.response?.status ?? (error as { status?: number } | null)?.status;
  return status === 404 || /404|not found/i.test(String((error as Error | null)?.message ?? ''));
}

async function proxyFor(spec: ToxiproxyFaultSpec, ctx: FaultContext) {
  const client = new Toxiproxy(ctx.endpoints.toxiproxyUrl);
  return client.get(spec.proxy);
}

async function setEnabled(spec: ToxiproxyFaultSpec, ctx: FaultContext, enabled: boolean): Promise<void> {
  const proxy = await proxyFor(spec, ctx);
  // toxiproxy-node-client 4.1 sends the whole proxy on update, so listen and upstream go along unchanged.
  await proxy.update({ enabled, listen: proxy.listen, upstream: proxy.upstream });
}

export const toxiproxyFaultDriver: FaultDriver<typeof ToxiproxyFaultSchema> = {
  schema: ToxiproxyFaultSchema,
  describe(spec) {
    const attrs = toxicAttributes(spec);
    switch (spec.toxic) {
      case 'down':
        return `proxy ${spec.proxy} disabled (dependency unreachable)`;
      case 'latency':
        return `latency ${formatMs(attrs.latency ?? 0)}${attrs.jitter ? ` ± ${formatMs(attrs.jitter)}` : ''} on proxy ${spec.proxy} (${spec.stream})`;
      default:
        return `${spec.toxic} (${formatMs(attrs.timeout ?? 0)}) on proxy ${spec.proxy} (${spec.stream})`;
    }
  },

  async inject(step, spec, ctx) {
    try {
      if (spec.toxic === 'down') return await setEnabled(spec, ctx, false);
      const proxy = await proxyFor(spec, ctx);
      const body: ICreateToxicBody<Record<string, number>> = {
        name: toxicName(step),
        type: spec.toxic,
        stream: spec.stream,
        toxicity: spec.toxicity,
        attributes: toxicAttributes(spec),
      };
      await proxy.addToxic(body);
    } catch (error) {
      throw driverError('inject', spec, error);
    }
  },

  async revert(step, spec, ctx) {
    try {
      if (spec.toxic === 'down') return await setEnabled(spec, ctx, true);
      const proxy = await proxyFor(spec, ctx);
      try {
        const toxic = await proxy.getToxic(toxicName(step));
        await toxic.remove();
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    } catch (error) {
      throw driverError('revert', spec, error);
    }
  },

  async resetAll(ctx) {
    // POST /reset: every proxy enabled, every toxic removed.
    await new Toxiproxy(ctx.endpoints.toxiproxyUrl).reset();
  },
};
