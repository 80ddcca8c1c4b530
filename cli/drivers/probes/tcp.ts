/**
 * A TCP probe: does a port accept a connection? Nothing is sent; the connection is closed
 * as soon as it opens. Every service of a stack listens on 127.0.0.1, so a port there (or the
 * target's own address) is all it needs. The reading is a value, 1 open and 0 not, so the
 * conditions every probe has (`valueEquals: 1`) judge it.
 */
import { connect } from 'node:net';
import { z } from 'zod';
import { duration, interval, name } from '../../core/scenario-schema.ts';
import type { ProbeSample } from '../../core/journal.ts';
import { toMs } from '../../core/duration.ts';
import { roundMs } from './http.ts';
import { cadence, type ProbeContext, type ProbeDriver } from './types.ts';

export const TcpProbeSchema = z
  .object({
    name,
    kind: z.literal('tcp'),
    port: z.number().int().min(1).max(65535).optional().describe('A port on 127.0.0.1. Without it: the target\'s own address (HAProxy\'s with several instances).'),
    every: interval.default('1s'),
    timeout: duration.default('2s').describe('A connection not open after this long is a failed sample.'),
  })
  .strict();
export type TcpProbeSpec = z.output<typeof TcpProbeSchema>;

/** Where the probe connects: the port on loopback, or the host and port of the target's URL. */
function addressOf(spec: TcpProbeSpec, ctx: ProbeContext): { host: string; port: number } {
  if (spec.port !== undefined) return { host: '127.0.0.1', port: spec.port };
  const url = new URL(ctx.endpoints.targetUrl);
  return { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
}

export function sampleTcp(spec: TcpProbeSpec, ctx: ProbeContext): Promise<ProbeSample> {
  const timeoutMs = toMs(spec.timeout);
  const tMs = ctx.clock.now();
  return new Promise((resolve) => {
    const socket = connect(addressOf(spec, ctx));
    const settle = (error?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      const latencyMs = roundMs(ctx.clock.now() - tMs);
      resolve(error === undefined ? { tMs, ok: true, status: null, latencyMs, value: 1 } : { tMs, ok: false, status: null, latencyMs, value: 0, error });
    };
    const timer = setTimeout(() => settle(`timeout after ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => settle());
    socket.once('error', (error) => settle(error.message));
  });
}

export const tcpProbeDriver: ProbeDriver<typeof TcpProbeSchema> = {
  schema: TcpProbeSchema,
  describe: (spec) => `TCP connect to ${spec.port === undefined ? 'the target' : `127.0.0.1:${spec.port}`} ${cadence(spec)}`,
  sample: sampleTcp,
};
