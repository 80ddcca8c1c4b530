/**
 * Action steps on the target: one-shot calls with nothing to revert. run-job asks the
 * target's /_control API to run one scheduled job now (the scheduler's one-instance
 * rule and job-store lease still apply) and waits for its outcome.
 */
import { toMs } from '../../core/duration.ts';
import type { ActionRecord } from '../../core/journal.ts';
import type { TargetActionSpec } from '../../core/scenario-schema.ts';
import type { StackEndpoints } from '../../stack/types.ts';
import { controlRequest } from '../target-client.ts';

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

type ActionResult = Pick<ActionRecord, 'outcome' | 'detail' | 'error'>;

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
