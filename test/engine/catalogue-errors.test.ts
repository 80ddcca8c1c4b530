/** Issue 13 item 4: every error that reaches a command comes from the catalogue, with a code and an exit class. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { catalogueStack } from '../../cli/commands/shared.ts';
import { ChaosError } from '../../cli/core/errors.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import type { StackProvider } from '../../cli/stack/types.ts';

test('plain errors from the stack reach commands as catalogue errors; catalogue errors pass unchanged', async () => {
  const boom = (): Promise<never> => Promise.reject(new Error('postgres processes 42 are still there after SIGKILL'));
  const raw: StackProvider = { mode: 'local', up: boom, down: boom, status: boom, endpoints: boom, service: () => ({}) as ReturnType<StackProvider['service']> };
  const stack = catalogueStack(raw);
  const expected: Array<[string, () => Promise<unknown>, string]> = [
    ['up', () => stack.up({ env: {}, sabotage: [] }), 'CHAOSCTL_E_STACK_UP'],
    ['down', () => stack.down(), 'CHAOSCTL_E_STACK_STOP'],
    ['status', () => stack.status(), 'CHAOSCTL_E_STACK_QUERY'],
    ['endpoints', () => stack.endpoints(), 'CHAOSCTL_E_STACK_QUERY'],
  ];
  for (const [name, call, code] of expected) {
    await assert.rejects(call(), (error: unknown) => {
      assert.ok(error instanceof ChaosError, `${name} gives a catalogue error`);
      assert.equal(error.code, code, name);
      assert.equal(error.exitClass, 'stackFailure');
      assert.match(error.message, /still there after SIGKILL/, 'the cause is kept in the message');
      return true;
    });
  }
  const busy = new ChaosError('CHAOSCTL_E_STATE', { file: 'stack.json', detail: 'not JSON' });
  const passing = catalogueStack({ ...raw, down: () => Promise.reject(busy) });
  await assert.rejects(passing.down(), (error: unknown) => error === busy);
});

test('the wrapper passes through what the runner needs: the instance a fault picks, the instance bound, the log tails', async () => {
  const picked: Array<[string, number | undefined]> = [];
  const boom = (): Promise<never> => Promise.reject(new Error('unused'));
  const raw: StackProvider = {
    mode: 'docker',
    maxInstances: 1,
    up: boom,
    down: boom,
    status: boom,
    endpoints: boom,
    service: (name, instance) => {
      picked.push([name, instance]);
      return {} as ReturnType<StackProvider['service']>;
    },
    logTails: () => Promise.resolve({ target: 'last line' }),
  };
  const stack = catalogueStack(raw);
  stack.service('target', 2);
  assert.deepEqual(picked, [['target', 2]], 'a fault on instance 2 stays on instance 2');
  assert.equal(stack.maxInstances, 1);
  assert.deepEqual(await stack.logTails?.(), { target: 'last line' });
});

/**
 * The command layer, the engine and the core throw only catalogue errors. A plain `throw new Error` is
 * allowed only where this list says why it never reaches a command.
 */
const ALLOWED_PLAIN_THROWS: Record<string, { count: number; why: string }> = {
  'cli/engine/injection-ledger.ts': { count: 1, why: 'caught two lines below and rethrown as CHAOSCTL_E_STATE' },
  'cli/engine/write-clauses.ts': { count: 1, why: 'a generator script (npm run clauses), not a command' },
};

test('no plain `throw new Error` in cli/commands, cli/engine, cli/core and cli/paths.ts beyond the documented exceptions', () => {
  const files = [
    ...['commands', 'engine', 'core'].flatMap((dir) => readdirSync(path.join(PACKAGE_ROOT, 'cli', dir)).map((name) => `cli/${dir}/${name}`)),
    'cli/paths.ts',
    'cli/main.ts',
  ].filter((file) => /\.tsx?$/.test(file));
  assert.ok(files.length > 20, 'the walk found the sources');
  const found: Record<string, number> = {};
  for (const file of files) {
    const count = (readFileSync(path.join(PACKAGE_ROOT, file), 'utf8').match(/throw new (Type|Range)?Error\(/g) ?? []).length;
    if (count > 0) found[file] = count;
  }
  assert.deepEqual(found, Object.fromEntries(Object.entries(ALLOWED_PLAIN_THROWS).map(([file, { count }]) => [file, count])));
});
