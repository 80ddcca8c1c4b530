/**
 * Action steps on the target: one-shot calls with nothing to revert. run-job asks the
 * target's /_control API to run one scheduled job now (the scheduler's one-instance
 * rule and job-store lease still apply) and waits for its outcome.
 */
import { toMs } from '../../core/duration.ts';
import { z } from 'zod';
import { duration, targetInstance } from '../../core/scenario-schema.ts';
import type { StackEndpoints } from '../../stack/types.ts';
import { controlRequest } from '../target-client.ts';
import type { ActionDriver, ActionResult } from './types.ts';

/** The target's scheduled jobs a scenario can run on demand. */
export const TARGET_JOBS = ['habit_reminders', 'analytics_refresh', 'health_check'] as const;

/**
 * A one-shot action on the target, nothing to revert: run-job runs one scheduled job now
 * through the target's /_control API (the scheduler's own one-instance rule and job-store
 * lease still apply) and waits for it to finish.
 */
export const TargetActionSchema = z
  .object({
    driver: z.literal('target'),
    action: z.literal('run-job').describe('run-job: POST /_control/jobs/<job>/run and wait for the outcome.'),
    job: z.enum(TARGET_JOBS),
    slot: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$|^\d{4}-\d{2}-\d{2}T[0-9:.]+Z$/, { message: 'a slot is "HH:MM" (today, UTC) or an ISO instant ending in Z' })
      .optional()
      .describe('The due minute the run serves (habit_reminders): "HH:MM" is today at that UTC time. Default: now.'),
    timeout: duration.default('120s').describe('How long to wait for the job to finish.'),
    instance: targetInstance('Ask this target instance (1-based) when the target runs as several; without it the request goes through HAProxy to whichever instance it picks.'),
  })
  .strict();
export type TargetActionSpec = z.output<typeof TargetActionSchema>;

/** The instant a slot names: "HH:MM" is that minute of `now`'s UTC day; an ISO instant is itself. */
export function resolveSlot(slot: string, now: Date = new Date()): Date {
  const hhmm = /^(\d{2}):(\d{2})$/.exec(slot);
  if (!hhmm) return new Date(slot);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), Number(hhmm[1]), Number(hhmm[2])));
}

export function describeAction(spec: TargetActionSpec): string {
  return `run job ${spec.job} now${spec.slot ? ` for slot ${spec.slot}` : ''}${spec.instance ? ` on target instance ${spec.instance}` : ''} (through /_control)`;
}

/** The endpoints with targetUrl pointing at one instance; unchanged without an instance number. */
export function instanceEndpoints(endpoints: StackEndpoints, instance: number | undefined): StackEndpoints {
  if (instance === undefined) return endpoints;
  const urls = endpoints.targetInstanceUrls ?? [endpoints.targetUrl];
  const url = urls[instance - 1];
  if (url === undefined) throw new Error(`target instance ${instance} does not exist: the target runs ${urls.length} instance${urls.length === 1 ? '' : 's'}`);
  return { ...endpoints, targetUrl: url };
}

/** Runs the action; never throws: a failed call is an error on the record, and the verdict judges it. */
export async function runTargetAction(spec: TargetActionSpec, endpoints: StackEndpoints): Promise<ActionResult> {
  const body = spec.slot ? { slot: resolveSlot(spec.slot).toISOString() } : {};
  try {
    const answer = (await controlRequest(instanceEndpoints(endpoints, spec.instance), { method: 'POST', path: `/_control/jobs/${spec.job}/run`, body }, toMs(spec.timeout), 'a target action')) as {
      outcome?: unknown;
      detail?: unknown;
    } | null;
    const outcome = typeof answer?.outcome === 'string' ? answer.outcome : null;
    const detail = typeof answer?.detail === 'string' ? answer.detail : undefined;
    return outcome === null ? { outcome, error: 'the target answered without an outcome' } : { outcome, ...(detail ? { detail } : {}) };
  } catch (error) {
    return { outcome: null, error: (error as Error).message };
  }
}

export const targetActionDriver: ActionDriver<typeof TargetActionSchema> = {
  schema: TargetActionSchema,
  describe: describeAction,
  run: (spec, ctx) => runTargetAction(spec, ctx.endpoints),
};
