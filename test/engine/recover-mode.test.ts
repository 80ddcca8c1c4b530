/** recover() reverts only the faults applied on its own stack mode: local and docker share one state folder. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { InjectionLedger, type LedgerEntry } from '../../cli/engine/injection-ledger.ts';
import { recover } from '../../cli/engine/recover.ts';
import type { ServiceControl, ServiceName, StackMode, StackProvider } from '../../cli/stack/types.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-recover-mode-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeStack(mode: StackMode, broughtBack: string[]): StackProvider {
  const control = (name: ServiceName): ServiceControl => {
    const nothing = async (): Promise<void> => undefined;
    return { stop: nothing, start: nothing, restart: nothing, pause: nothing, resume: nothing, kill: nothing, isRunning: async () => true, ensureRunning: async () => void broughtBack.push(`${mode}:${name}`) };
  };
  return {
    mode,
    up: () => Promise.reject(new Error('not used')),
    down: async () => undefined,
    status: async () => [],
    endpoints: async () => ({ targetUrl: 'http://127.0.0.1:1', toxiproxyUrl: 'http://127.0.0.1:2', databaseUrl: 'postgres://127.0.0.1:3/x', proxies: {} }),
    service: control,
  };
}

function entry(key: string, stackMode: StackMode | undefined): LedgerEntry {
  return {
    key,
    runId: 'r',
    scenarioId: 'C1',
    step: key,
    spec: { driver: 'service', service: 'postgres', action: 'stop' },
    description: 'postgres stopped',
    // A pid that cannot be alive: the run that applied it was killed.
    pid: 2 ** 22 + 1,
    state: 'applied',
    since: new Date().toISOString(),
    ...(stackMode ? { stackMode } : {}),
  };
}

test("recover on the docker stack reverts docker entries and leaves local ones (and old entries without a mode) to local mode", async () => {
  const ledger = new InjectionLedger(dir);
  ledger.add(entry('on-docker', 'docker'));
  ledger.add(entry('on-local', 'local'));
  ledger.add(entry('before-modes', undefined));
  const broughtBack: string[] = [];
  const report = await recover(fakeStack('docker', broughtBack), ledger, { onlyOrphans: true });
  assert.deepEqual(report.reverted.map((e) => e.key), ['on-docker']);
  assert.deepEqual(broughtBack, ['docker:postgres']);
  assert.deepEqual(ledger.read().map((e) => e.key).sort(), ['before-modes', 'on-local']);

  const local: string[] = [];
  const again = await recover(fakeStack('local', local), ledger, { onlyOrphans: true });
  assert.deepEqual(again.reverted.map((e) => e.key).sort(), ['before-modes', 'on-local']);
  assert.deepEqual(ledger.read(), []);
});
