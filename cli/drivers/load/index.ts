/** The registry of built-in load drivers, keyed by the scenario's `driver` field. */
import type { LoadSpec } from '../../core/scenario-schema.ts';
import { httpLoadDriver } from './http.ts';
import { paymentsLoadDriver } from './payments.ts';
import { telegramLoadDriver } from './telegram.ts';
import type { LoadDriver } from './types.ts';
import { webhooksLoadDriver } from './webhooks.ts';

type DriverMap = { [K in LoadSpec['driver']]: LoadDriver<Extract<LoadSpec, { driver: K }>> };

export const LOAD_DRIVERS: DriverMap = { http: httpLoadDriver, telegram: telegramLoadDriver, webhooks: webhooksLoadDriver, payments: paymentsLoadDriver };

export function loadDriverFor(spec: LoadSpec): LoadDriver {
  return LOAD_DRIVERS[spec.driver] as LoadDriver;
}
