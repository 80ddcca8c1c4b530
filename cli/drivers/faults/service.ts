/** Whole-service faults (stop, restart, pause, kill), carried out by the stack provider. */
import { ChaosError } from '../../core/errors.ts';
import { z } from 'zod';
import { targetInstance } from '../../core/scenario-schema.ts';
import type { FaultDriver } from './types.ts';

/** A fault on a whole service of the stack: a process in local mode, a container in docker mode. */
export const ServiceFaultSchema = z
  .object({
    driver: z.literal('service'),
    service: z.enum(['postgres', 'toxiproxy', 'target', 'telegram', 'yookassa', 'cryptopay']).describe('The stack service to act on (telegram, yookassa, cryptopay are the simulators).'),
    action: z.enum(['stop', 'restart', 'pause', 'kill']).describe('stop/kill: down until reverted; pause: frozen until reverted; restart: stop then start.'),
    instance: targetInstance('service target only: act on this one instance (1-based) when the target runs as several; without it every instance is hit.'),
  })
  .strict()
  .refine((f) => f.instance === undefined || f.service === 'target', { message: 'only the target runs as several instances', path: ['instance'] });
export type ServiceFaultSpec = z.output<typeof ServiceFaultSchema>;

const WORDS: Record<ServiceFaultSpec['action'], string> = {
  stop: 'stopped',
  restart: 'restarted',
  pause: 'paused (frozen)',
  kill: 'killed (SIGKILL)',
};

/** "target instance 2" for a fault on one instance; the service name otherwise. */
function label(spec: ServiceFaultSpec): string {
  return spec.instance === undefined ? spec.service : `${spec.service} instance ${spec.instance}`;
}

function wrap(operation: string, spec: ServiceFaultSpec, error: unknown): ChaosError {
  if (error instanceof ChaosError && error.code !== 'CHAOSCTL_E_DRIVER') return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ChaosError('CHAOSCTL_E_DRIVER', { driver: 'service', operation, target: label(spec), detail }, { cause: error });
}

export const serviceFaultDriver: FaultDriver<typeof ServiceFaultSchema> = {
  schema: ServiceFaultSchema,
  describe(spec) {
    return `${label(spec)} ${WORDS[spec.action]}`;
  },

  async inject(_step, spec, ctx) {
    const service = ctx.stack.service(spec.service, spec.instance);
    try {
      await service[spec.action]();
    } catch (error) {
      throw wrap(spec.action, spec, error);
    }
    return service.lastOperation;
  },

  async revert(_step, spec, ctx) {
    // Whatever the action left (stopped, frozen, killed, half-restarted), the way back is the same.
    const service = ctx.stack.service(spec.service, spec.instance);
    try {
      await service.ensureRunning();
    } catch (error) {
      throw wrap('bring back', spec, error);
    }
    return service.lastOperation;
  },
};
