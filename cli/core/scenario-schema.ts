/**
 * The scenario schema's own parts: durations, names, conditions, windows, expectations,
 * fixtures, steady-state checks, stop conditions, and the shape of a step and a scenario.
 * Each driver defines its spec next to its code, so the unions of loads, faults, actions and
 * probes are not known here: cli/drivers/registry.ts hands them to scenarioSchemaOf, and
 * the TypeScript types, the runtime validator and scenarios/schema.json all come from that.
 */
import { z } from 'zod';
import { atLeastProbeInterval, DURATION_PATTERN, MAX_DURATION, MIN_PROBE_INTERVAL, withinMaxDuration } from './duration.ts';

// Every duration is bounded: an unbounded one ("99999999999999999999h") would validate and then
// overflow the timers that wait for it.
export const duration = z
  .string()
  .regex(DURATION_PATTERN, { message: 'expected a duration such as 250ms, 5s or 2m' })
  .refine(withinMaxDuration, { message: `must be at most ${MAX_DURATION}` })
  .describe(`A duration: a number and a unit, ms | s | m | h (e.g. 250ms, 5s), at most ${MAX_DURATION}.`);

/** How often a probe samples: bounded below too, so a probe never turns into a load of its own. */
export const interval = duration
  .refine(atLeastProbeInterval, { message: `must be at least ${MIN_PROBE_INTERVAL} (a probe samples at most every ${MIN_PROBE_INTERVAL})` })
  .describe(`A sampling interval: a duration from ${MIN_PROBE_INTERVAL} to ${MAX_DURATION}.`);

export const name = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, { message: 'use lower-case letters, digits and dashes, starting with a letter' });

export const urlPath = z.string().regex(/^\/[^\s]*$/, { message: 'expected a path starting with /' });

/** One of the target's instances (1-based; a stack runs at most 4), where a step can name one. */
export function targetInstance(description: string) {
  return z.number().int().min(1).max(4).optional().describe(description);
}


/** What one probe sample must satisfy. Every field given must hold. */
export const ConditionSchema = z
  .object({
    status: z.number().int().min(100).max(599).optional().describe('HTTP status equals this.'),
    latencyBelow: duration.optional().describe('The sample answered faster than this.'),
    valueEquals: z.number().optional().describe('sql/metrics probes: the value equals this.'),
    valueAtMost: z.number().optional().describe('sql/metrics probes: the value is at most this.'),
    valueAtLeast: z.number().optional().describe('sql/metrics probes: the value is at least this.'),
  })
  .strict()
  .refine((c) => Object.values(c).some((v) => v !== undefined), { message: 'a condition needs at least one of status, latencyBelow, valueEquals, valueAtMost, valueAtLeast' });

/** A slice of the run clock. Without during/after it is the whole timeline. */
export const WindowSchema = z
  .object({
    during: name.optional().describe('While this fault step is in place (from applied to reverted).'),
    after: name.optional().describe('From the moment this fault step was reverted.'),
    within: duration.optional().describe('Only with "after": the window ends this long after the revert.'),
    skipFirst: duration.optional().describe('Ignore samples in the first part of the window (settling time).'),
  })
  .strict()
  .refine((w) => !(w.during !== undefined && w.after !== undefined), { message: 'use "during" or "after", not both' })
  .refine((w) => w.within === undefined || w.after !== undefined, { message: '"within" goes with "after"' });

const expectationBase = {
  id: name.optional().describe('Stable id for reports and JUnit; derived from the kind when absent.'),
  clause: z.string().min(1).describe('The seed row this proves, e.g. L11, C1, §3 DB, §4 DB down.'),
  text: z.string().min(1).describe("The seed's own words this expectation proves."),
};

export const LatencyExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('latency'),
    load: name.describe('The load step whose latency is measured.'),
    percentile: z.literal([50, 90, 95, 99, 100]).default(95).describe('Which percentile: 50, 90, 95, 99, or 100 for the maximum.'),
    below: duration,
  })
  .strict();

export const ErrorsExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('errors'),
    load: name,
    max: z.number().int().min(0).default(0).describe('Most failed requests allowed (non-2xx, timeouts, socket errors).'),
  })
  .strict();

export const ProbeExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('probe'),
    probe: name,
    window: WindowSchema.default({}),
    mode: z
      .enum(['always', 'eventually', 'never'])
      .default('always')
      .describe('always: every sample in the window; eventually: at least one; never: none.'),
    condition: ConditionSchema,
    minSamples: z.number().int().min(1).default(3).describe('Fewer samples in the window is a failed expectation, not a pass.'),
  })
  .strict();

/** Checked once, after every fault was reverted and the steady state re-checked: invariants such as "no payment credited twice". */
export const FinalExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('final'),
    probe: name,
    condition: ConditionSchema,
  })
  .strict();

/** How an action step ended: its outcome is one of `outcome`, and it took less than `durationBelow`. */
export const ActionExpectationSchema = z
  .object({
    ...expectationBase,
    kind: z.literal('action'),
    step: name.describe('The action step.'),
    outcome: z.array(z.string().min(1)).min(1).default(['ok']).describe('Acceptable outcomes, e.g. ok, skipped, failed, busy.'),
    durationBelow: duration.optional().describe('The action finished faster than this.'),
  })
  .strict();

export const ExpectationSchema = z.discriminatedUnion('kind', [
  LatencyExpectationSchema,
  ErrorsExpectationSchema,
  ProbeExpectationSchema,
  FinalExpectationSchema,
  ActionExpectationSchema,
]);

/** SQL run on the harness's own connection (never through a proxy): data a scenario needs, and its removal. */
export const FixtureSchema = z
  .object({
    name,
    sql: z.string().min(1).describe('One or more statements, run as one simple query without parameters.'),
  })
  .strict();

export const SteadyCheckSchema = z
  .object({
    probe: name,
    condition: ConditionSchema,
    within: duration.default('15s').describe('Keep sampling until the condition holds, at most this long.'),
  })
  .strict();

/**
 * A brake (AWS FIS stop conditions, k6's abortOnFail): when one holds for `for` without a
 * break, the timeline stops, every fault is reverted, and the verdict is "aborted".
 */
export const StopConditionSchema = z
  .object({
    id: name.optional().describe('Stable id for the report; derived from the position when absent.'),
    probe: name.optional().describe('Watch this probe: the brake holds while its samples do NOT meet `unmet`.'),
    unmet: ConditionSchema.optional().describe('With probe: the condition whose failure, sample after sample, stops the run (e.g. { status: 200 }).'),
    load: name.optional().describe('Watch this load step: the brake holds while each of its seconds has an error rate above `errorRateAbove`.'),
    errorRateAbove: z.number().min(0).max(100).optional().describe('With load: percent of the second\'s requests that failed (0–100).'),
    for: duration.default('0s').describe('How long it must hold without a break before the run stops.'),
  })
  .strict()
  .refine((c) => (c.probe !== undefined) !== (c.load !== undefined), { message: 'a stop condition watches one probe or one load step: give "probe" or "load"' })
  .refine((c) => c.probe === undefined || c.unmet !== undefined, { message: 'a probe stop condition needs "unmet": the condition whose failure stops the run' })
  .refine((c) => c.load === undefined || c.errorRateAbove !== undefined, { message: 'a load stop condition needs "errorRateAbove" (percent)' })
  .refine((c) => c.probe !== undefined || c.unmet === undefined, { message: '"unmet" goes with "probe"' })
  .refine((c) => c.load !== undefined || c.errorRateAbove === undefined, { message: '"errorRateAbove" goes with "load"' });


export const SCENARIO_KINDS = ['load', 'chaos'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

/** What every load, fault and action spec has, whatever its driver: the driver's name. The rest is the driver's own. */
export interface StepSpec {
  driver: string;
  [field: string]: unknown;
}

/** What every probe spec has, whatever its kind. The rest is the probe driver's own. */
export interface ProbeSpecBase {
  name: string;
  kind: string;
  every: string;
  timeout: string;
  [field: string]: unknown;
}

/** The step and probe unions a scenario is made of, each composed from a registry of drivers. */
export interface ScenarioParts<L extends z.ZodType, F extends z.ZodType, A extends z.ZodType, P extends z.ZodType> {
  load: L;
  fault: F;
  action: A;
  probe: P;
}

/** The step and scenario schemas over the given unions of driver specs. */
export function scenarioSchemaOf<L extends z.ZodType, F extends z.ZodType, A extends z.ZodType, P extends z.ZodType>(parts: ScenarioParts<L, F, A, P>) {
  const StepSchema = z
    .object({
      name: name.describe('Unique within the scenario; windows and expectations refer to it.'),
      at: duration.default('0s').describe('When the step starts, from the start of the timeline.'),
      for: duration.optional().describe('How long a load runs or a fault stays in place. A fault without it is reverted at the end of the timeline.'),
      load: parts.load.optional(),
      fault: parts.fault.optional(),
      action: parts.action.optional(),
    })
    .strict()
    .refine((step) => [step.load, step.fault, step.action].filter((part) => part !== undefined).length === 1, {
      message: 'a step has exactly one of "load", "fault" or "action"',
    })
    .refine((step) => step.action === undefined || step.for === undefined, {
      message: 'an action step has no "for": it lasts until the action finishes',
      path: ['for'],
    });

  const ScenarioSchema = z
    .object({
      $schema: z.string().optional(),
      id: z.string().regex(/^[A-Z][A-Z0-9_-]*$/, { message: 'an id is upper-case, e.g. L11 or C1' }),
      title: z.string().min(1),
      kind: z.enum(SCENARIO_KINDS),
      description: z.string().optional(),
      covers: z.array(z.string().min(1)).min(1).describe('Seed rows this scenario proves.'),
      catches: z
        .array(z.string().min(1))
        .default([])
        .describe('Sabotage switches of the target this scenario must catch: with any one of them on, the scenario fails (`chaosctl prove`).'),
      target: z
        .object({
          env: z.record(z.string(), z.string()).default({}).describe('Target configuration overrides for this run; the report lists them.'),
          instances: z
            .number()
            .int()
            .min(1)
            .max(4)
            .optional()
            .describe('Target processes (default 1). More than one share PostgreSQL and a Redis (shared rate limit), take Telegram updates by webhook, and get every request through HAProxy (round robin). `--instances N` overrides it.'),
        })
        .strict()
        .default({ env: {} }),
      fixtures: z
        .object({
          setup: z.array(FixtureSchema).default([]).describe('Run in order before the steady-state check.'),
          teardown: z.array(FixtureSchema).default([]).describe('Run after the verdict, also when the run failed or was interrupted.'),
        })
        .strict()
        .default({ setup: [], teardown: [] }),
      probes: z.array(parts.probe).default([]),
      steadyState: z.array(SteadyCheckSchema).default([]).describe('Checked before the timeline and again after every fault is reverted.'),
      timeline: z
        .object({
          duration: duration.optional().describe('Total length; defaults to the end of the last step.'),
          steps: z.array(StepSchema).min(1),
        })
        .strict(),
      expect: z.array(ExpectationSchema).min(1),
      abortWhen: z
        .array(StopConditionSchema)
        .default([])
        .describe('Stop conditions: when one holds, the timeline stops, every fault is reverted and the verdict is "aborted" (exit 1).'),
      profiles: z
        .record(name, z.record(z.string(), z.unknown()))
        .default({})
        .describe('Named variants (e.g. full: the seed\'s full size), merged over this scenario by `chaosctl run --profile NAME`.'),
    })
    .strict();
  return { StepSchema, ScenarioSchema };
}

export type Fixture = z.output<typeof FixtureSchema>;
export type Condition = z.output<typeof ConditionSchema>;
export type Window = z.output<typeof WindowSchema>;
export type Expectation = z.output<typeof ExpectationSchema>;
export type SteadyCheck = z.output<typeof SteadyCheckSchema>;
export type StopCondition = z.output<typeof StopConditionSchema>;
