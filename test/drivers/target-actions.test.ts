/** Action steps: the run-job action against the target's own /_control route, with a recording scheduler. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { describeAction, resolveSlot, runTargetAction } from '../../cli/drivers/actions/target.ts';
import { ActionSchema, StepSchema } from '../../cli/drivers/registry.ts';
import type { TargetActionSpec } from '../../cli/drivers/actions/target.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';
import { registerControl } from '../../target/control/routes.ts';

const TOKEN = 'test-control-token';
const calls: Array<{ name: string; scheduledAt?: string }> = [];
let answer: { outcome: string; detail?: string; delayMs?: number } = { outcome: 'ok', detail: 'sent 3, blocked 0' };
const app = Fastify({ logger: false });
registerControl(app, TOKEN, {
  scheduler: {
    stop: async () => undefined,
    start: async () => undefined,
    isRunning: () => true,
    async runNow(name, options) {
      if (name === 'nope') throw new Error(`no scheduled job named ${name}`);
      calls.push({ name, ...(options?.scheduledAt ? { scheduledAt: options.scheduledAt.toISOString() } : {}) });
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (answer.detail) options?.onDetail?.(answer.detail);
      return answer.outcome;
    },
  },
  counters: () => ({}),
});
const targetUrl = await app.listen({ host: '127.0.0.1', port: 0 });
after(() => app.close());

const endpoints = (controlToken: string | undefined = TOKEN): StackEndpoints => ({ targetUrl, toxiproxyUrl: '', databaseUrl: '', proxies: {}, ...(controlToken ? { controlToken } : {}) });
const action = (input: Record<string, unknown>): TargetActionSpec => ActionSchema.parse({ driver: 'target', action: 'run-job', ...input }) as TargetActionSpec;

test('a slot "HH:MM" is that minute of today in UTC; an ISO instant is itself', () => {
  const now = new Date('2026-11-29T13:45:10Z');
  assert.equal(resolveSlot('04:00', now).toISOString(), '2026-11-29T04:00:00.000Z');
  assert.equal(resolveSlot('23:59', now).toISOString(), '2026-11-29T23:59:00.000Z');
  assert.equal(resolveSlot('2026-01-01T08:30:00Z', now).toISOString(), '2026-01-01T08:30:00.000Z');
});

test('the schema: known jobs only, slots in one of two forms, an action step has no "for"', () => {
  assert.equal(ActionSchema.safeParse({ driver: 'target', action: 'run-job', job: 'habit_reminders' }).success, true);
  assert.equal(ActionSchema.safeParse({ driver: 'target', action: 'run-job', job: 'vacuum' }).success, false);
  assert.equal(ActionSchema.safeParse({ driver: 'target', action: 'run-job', job: 'habit_reminders', slot: '4:00' }).success, false);
  assert.equal(ActionSchema.safeParse({ driver: 'target', action: 'run-job', job: 'habit_reminders', slot: '24:00' }).success, false);
  assert.equal(StepSchema.safeParse({ name: 'a', action: { driver: 'target', action: 'run-job', job: 'health_check' } }).success, true);
  assert.equal(StepSchema.safeParse({ name: 'a', for: '2s', action: { driver: 'target', action: 'run-job', job: 'health_check' } }).success, false);
  assert.equal(
    StepSchema.safeParse({ name: 'a', action: { driver: 'target', action: 'run-job', job: 'health_check' }, fault: { driver: 'target', action: 'scheduler-stop' } }).success,
    false,
    'one kind per step',
  );
  assert.match(describeAction(action({ job: 'habit_reminders', slot: '04:00' })), /habit_reminders.*04:00/);
});

test('run-job posts the slot, waits for the job and brings back its outcome and summary', async () => {
  calls.length = 0;
  answer = { outcome: 'ok', detail: 'sent 3, blocked 0', delayMs: 200 };
  const started = Date.now();
  const result = await runTargetAction(action({ job: 'habit_reminders', slot: '2026-01-01T04:00:00Z' }), endpoints());
  assert.ok(Date.now() - started >= 190, 'waited for the job');
  assert.deepEqual(result, { outcome: 'ok', detail: 'sent 3, blocked 0' });
  assert.deepEqual(calls, [{ name: 'habit_reminders', scheduledAt: '2026-01-01T04:00:00.000Z' }]);
  answer = { outcome: 'busy' };
  assert.deepEqual(await runTargetAction(action({ job: 'analytics_refresh' }), endpoints()), { outcome: 'busy' });
  assert.deepEqual(calls[1], { name: 'analytics_refresh' }, 'no slot: the job picks its own');
});

test('refusals become errors on the record, never exceptions', async () => {
  const wrongToken = await runTargetAction(action({ job: 'health_check' }), endpoints('wrong'));
  assert.equal(wrongToken.outcome, null);
  assert.match(wrongToken.error ?? '', /401/);
  const noToken = await runTargetAction(action({ job: 'health_check' }), { targetUrl, toxiproxyUrl: '', databaseUrl: '', proxies: {} });
  assert.match(noToken.error ?? '', /control token/);
  answer = { outcome: 'ok', delayMs: 1500 };
  const slow = await runTargetAction(action({ job: 'health_check', timeout: '300ms' }), endpoints());
  assert.equal(slow.outcome, null);
  assert.match(slow.error ?? '', /timeout/i);
});

test('the route refuses an unknown job and a slot that is not an instant', async () => {
  const headers = { 'x-control-token': TOKEN, 'content-type': 'application/json' };
  const unknown = await app.inject({ method: 'POST', url: '/_control/jobs/nope/run', headers, payload: '{}' });
  assert.equal(unknown.statusCode, 404);
  const badSlot = await app.inject({ method: 'POST', url: '/_control/jobs/health_check/run', headers, payload: JSON.stringify({ slot: 'soon' }) });
  assert.equal(badSlot.statusCode, 400);
  const unauthorised = await app.inject({ method: 'POST', url: '/_control/jobs/health_check/run', payload: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(unauthorised.statusCode, 401);
});
