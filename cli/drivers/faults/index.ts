/** The registry of built-in fault drivers, keyed by the scenario's `driver` field. */
import type { FaultSpec } from '../../core/scenario-schema.ts';
import { serviceFaultDriver } from './service.ts';
import { simFaultDriver } from './sim.ts';
import { targetControlFaultDriver } from './target-control.ts';
import { toxiproxyFaultDriver } from './toxiproxy.ts';
import type { FaultContext, FaultDriver } from './types.ts';

type DriverMap = { [K in FaultSpec['driver']]: FaultDriver<Extract<FaultSpec, { driver: K }>> };

export const FAULT_DRIVERS: DriverMap = {
  toxiproxy: toxiproxyFaultDriver,
  service: serviceFaultDriver,
  sim: simFaultDriver,
  target: targetControlFaultDriver,
};

/** The driver for a spec, typed loosely so callers can pass any FaultSpec. */
export function faultDriverFor(spec: FaultSpec): FaultDriver {
  return FAULT_DRIVERS[spec.driver] as FaultDriver;
}

export type { FaultContext, FaultDriver };
