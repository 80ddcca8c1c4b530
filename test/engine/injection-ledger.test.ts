import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InjectionLedger, isAlive, type LedgerEntry } from '../../cli/engine/injection-ledger.ts';
import { acquireRunLock } from '../../cli/engine/run-lock.ts';
import { ChaosError } from '../../cli/core/errors.ts';

const entry = (step: string): LedgerEntry => ({
  key: `run/C1/${step}`,
  runId: 'run',
  scenarioId: 'C1',
  step,
  spec: { driver: 'toxiproxy', proxy: 'postgres', toxic: 'latency', latency: '1s', stream: 'downstream', toxicity: 1 },
  description: 'latency',
  pid: process.pid,
  state: 'applying',
  since: new Date(0).toISOString(),
});

test('the ledger keeps entries across instances until they are removed', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
  const a = new InjectionLedger(dir);
  assert.deepEqual(a.read(), []);
  a.add(entry('one'));
  a.add(entry('two'));
  a.markApplied('run/C1/one');
  const b = new InjectionLedger(dir);
  assert.deepEqual(b.read().map((e) => [e.step, e.state]), [['one', 'applied'], ['two', 'applying']]);
  b.remove('run/C1/one');
  assert.deepEqual(a.read().map((e) => e.step), ['two']);
});

test('a corrupt ledger is a state error, not an empty ledger', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
  writeFileSync(path.join(dir, 'injections.json'), '{"version":1,"entries":[');
  assert.throws(() => new InjectionLedger(dir).read(), (e: unknown) => e instanceof ChaosError && e.code === 'CHAOSCTL_E_STATE');
});

test('the run lock refuses a second live owner and takes over a dead one', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lock-'));
  const lock = acquireRunLock(dir);
  // Our own pid holds it; pretend another live process (pid 1) does.
  writeFileSync(path.join(dir, 'run.lock'), '1');
  assert.throws(() => acquireRunLock(dir), (e: unknown) => e instanceof ChaosError && e.code === 'CHAOSCTL_E_BUSY');
  writeFileSync(path.join(dir, 'run.lock'), '999999999');
  assert.equal(isAlive(999_999_999), false);
  const taken = acquireRunLock(dir);
  assert.equal(readFileSync(path.join(dir, 'run.lock'), 'utf8'), String(process.pid));
  taken.release();
  lock.release();
});
