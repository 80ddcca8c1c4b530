/**
 * The one registry per kind of step (load, fault, action) and of probe: a driver is known by
 * the line that puts it here, keyed by the value of its spec's discriminator (`driver:` or
 * `kind:`). The scenario schema's unions are composed from these registries, so a new driver
 * brings its own schema, description and code in its own file and touches nothing else.
 * The runner takes the registries as a parameter (tests pass fakes); the built-in ones are
 * the default.
 */
import { z } from 'zod';
import { scenarioSchemaOf } from '../core/scenario-schema.ts';
import { targetActionDriver } from './actions/target.ts';
import type { ActionDriver } from './actions/types.ts';
import { serviceFaultDriver } from './faults/service.ts';
import { simFaultDriver } from './faults/sim.ts';
import { targetControlFaultDriver } from './faults/target-control.ts';
import { toxiproxyFaultDriver } from './faults/toxiproxy.ts';
import type { FaultDriver } from './faults/types.ts';
import { httpLoadDriver } from './load/http.ts';
import { paymentsLoadDriver } from './load/payments.ts';
import { telegramLoadDriver } from './load/telegram.ts';
import type { LoadDriver } from './load/types.ts';
import { webhooksLoadDriver } from './load/webhooks.ts';
import { httpProbeDriver } from './probes/http.ts';
import { metricsProbeDriver } from './probes/metrics.ts';
import { simProbeDriver } from './probes/sim.ts';
import { sqlProbeDriver } from './probes/sql.ts';
import { tcpProbeDriver } from './probes/tcp.ts';
import { telegramSentProbeDriver } from './probes/telegram-sent.ts';
import type { ProbeDriver } from './probes/types.ts';

/**
 * A registry whose every key is the discriminator value of its driver's schema, checked by
 * the compiler: a driver filed under another name than its spec's would never be found.
 */
type Keyed<R, D extends string> = { [K in keyof R]: { schema: z.ZodType<{ [P in D]: K }> } };

function registry<const D extends string, R extends Keyed<R, D>>(_discriminator: D, drivers: R): R {
  return drivers;
}

// The order of each registry is the order of its union in scenarios/schema.json.
export const LOAD_DRIVERS = registry('driver', {
  http: httpLoadDriver,
  telegram: telegramLoadDriver,
  webhooks: webhooksLoadDriver,
  payments: paymentsLoadDriver,
});

export const FAULT_DRIVERS = registry('driver', {
  toxiproxy: toxiproxyFaultDriver,
  service: serviceFaultDriver,
  sim: simFaultDriver,
  target: targetControlFaultDriver,
});

export const ACTION_DRIVERS = registry('driver', {
  target: targetActionDriver,
});

export const PROBE_DRIVERS = registry('kind', {
  http: httpProbeDriver,
  sql: sqlProbeDriver,
  metrics: metricsProbeDriver,
  'telegram-sent': telegramSentProbeDriver,
  sim: simProbeDriver,
  tcp: tcpProbeDriver,
});

/** The schemas of a registry's drivers, in its order, as a discriminated union takes them. */
function schemasOf<R extends Record<string, { schema: z.ZodType }>>(drivers: R): [R[keyof R]['schema'], ...Array<R[keyof R]['schema']>] {
  return Object.values(drivers).map((d) => d.schema) as [R[keyof R]['schema'], ...Array<R[keyof R]['schema']>];
}

export const LoadSchema = z.discriminatedUnion('driver', schemasOf(LOAD_DRIVERS));
export const FaultSchema = z.discriminatedUnion('driver', schemasOf(FAULT_DRIVERS));
export const ActionSchema = z.discriminatedUnion('driver', schemasOf(ACTION_DRIVERS));
export const ProbeSchema = z.discriminatedUnion('kind', schemasOf(PROBE_DRIVERS));

/** THE scenario schema: the TypeScript types, the runtime validator and scenarios/schema.json come from it. */
export const { StepSchema, ScenarioSchema } = scenarioSchemaOf({ load: LoadSchema, fault: FaultSchema, action: ActionSchema, probe: ProbeSchema });

export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type Step = z.output<typeof StepSchema>;
export type LoadSpec = z.output<typeof LoadSchema>;
export type FaultSpec = z.output<typeof FaultSchema>;
export type ActionSpec = z.output<typeof ActionSchema>;
export type ProbeSpec = z.output<typeof ProbeSchema>;

/** The JSON Schema editors use (scenarios/schema.json), derived from ScenarioSchema. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://chaosctl.dev/schema/scenario.json', title: 'chaosctl scenario' };
}

/** The drivers a run uses, one registry per kind. */
export interface Registries {
  load: Readonly<Record<LoadSpec['driver'], LoadDriver>>;
  fault: Readonly<Record<FaultSpec['driver'], FaultDriver>>;
  action: Readonly<Record<ActionSpec['driver'], ActionDriver>>;
  probe: Readonly<Record<ProbeSpec['kind'], ProbeDriver>>;
}

export const BUILTIN_REGISTRIES: Registries = { load: LOAD_DRIVERS, fault: FAULT_DRIVERS, action: ACTION_DRIVERS, probe: PROBE_DRIVERS };

export function loadDriverFor(registries: Registries, spec: LoadSpec): LoadDriver {
  return registries.load[spec.driver];
}

export function faultDriverFor(registries: Registries, spec: FaultSpec): FaultDriver {
  return registries.fault[spec.driver];
}

export function actionDriverFor(registries: Registries, spec: ActionSpec): ActionDriver {
  return registries.action[spec.driver];
}

export function probeDriverFor(registries: Registries, spec: ProbeSpec): ProbeDriver {
  return registries.probe[spec.kind];
}
