/** The target-control fault driver against a real fastify app with the target's own /_control routes. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { targetControlFaultDriver } from '../../cli/drivers/faults/target-control.ts';
import { ChaosError } from '../../cli/core/errors.ts';
import { FAULT_DRIVERS, FaultSchema } from '../../cli/drivers/registry.ts';
import type { TargetFaultSpec } from '../../cli/drivers/faults/target-control.ts';
import type { FaultContext } from '../../cli/drivers/faults/types.ts';
import type { StackProvider } from '../../cli/stack/types.ts';
import { registerControl } from '../../target/control/routes.ts';

const TOKEN = 'test-control-token';
let running = true;
const calls: string[] = [];
const app = Fastify({ logger: false });
registerControl(app, TOKEN, {
  scheduler: {
    stop: async () => {
      calls.push('stop');
      running = false;
    },
    start: async () => {
      calls.push('start');
      running = true;
    },
    isRunning: () => running,
    runNow: async () => 'ok',
  },
  counters: () => ({}),
});
const targetUrl = await app.listen({ host: '127.0.0.1', port: 0 });
after(() => app.close());

const ctx = (controlToken?: string): FaultContext => ({
  stack: {} as StackProvider, // not used by this driver
  endpoints: { targetUrl, toxiproxyUrl: '', databaseUrl: '', proxies: {}, ...(controlToken === undefined ? {} : { controlToken }) },
});
const spec = FaultSchema.parse({ driver: 'target', action: 'scheduler-stop' }) as TargetFaultSpec;

test('the schema knows the target driver and refuses unknown actions', () => {
  assert.equal(spec.driver, 'target');
  assert.equal(FaultSchema.safeParse({ driver: 'target', action: 'scheduler-pause' }).success, false);
  assert.equal(FaultSchema.safeParse({ driver: 'target', action: 'scheduler-stop', extra: 1 }).success, false);
  assert.equal(FAULT_DRIVERS.target, targetControlFaultDriver);
  assert.match(targetControlFaultDriver.describe(spec), /scheduler stopped/);
});

test('inject stops the scheduler, revert starts it again, and a second revert is harmless', async () => {
  calls.length = 0;
  await targetControlFaultDriver.inject('s', spec, ctx(TOKEN));
  assert.equal(running, false);
  await targetControlFaultDriver.revert('s', spec, ctx(TOKEN));
  assert.equal(running, true);
  await targetControlFaultDriver.revert('s', spec, ctx(TOKEN));
  assert.equal(running, true);
  assert.deepEqual(calls, ['stop', 'start', 'start']);
});

test('a wrong token is a driver error and changes nothing', async () => {
  calls.length = 0;
  await assert.rejects(targetControlFaultDriver.inject('s', spec, ctx('wrong')), (error: unknown) => {
    assert.ok(error instanceof ChaosError);
    assert.equal(error.code, 'CHAOSCTL_E_DRIVER');
    assert.match(error.message, /401/);
    return true;
  });
  assert.equal(running, true);
  assert.deepEqual(calls, []);
});

test('a stack without a control token cannot run the fault', async () => {
  await assert.rejects(targetControlFaultDriver.inject('s', spec, ctx()), (error: unknown) => error instanceof ChaosError && error.code === 'CHAOSCTL_E_STACK_UNSUPPORTED');
});

test('a target that does not stop is reported, not trusted', async () => {
  const liar = Fastify({ logger: false });
  registerControl(liar, TOKEN, { scheduler: { stop: async () => undefined, start: async () => undefined, isRunning: () => true, runNow: async () => 'ok' }, counters: () => ({}) });
  const url = await liar.listen({ host: '127.0.0.1', port: 0 });
  try {
    const c: FaultContext = { stack: {} as StackProvider, endpoints: { targetUrl: url, toxiproxyUrl: '', databaseUrl: '', proxies: {}, controlToken: TOKEN } };
    await assert.rejects(targetControlFaultDriver.inject('s', spec, c), /running=true, expected false/);
  } finally {
    await liar.close();
  }
});
