/**
 * One real local stack for a whole test file of a load driver: `chaosctl up` before the
 * file's tests, `down` after them, with the endpoints (and the stack's provider secrets,
 * which `up --json` never prints) and a small harness pool on its database.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { StackEndpoints } from '../../cli/stack/types.ts';
import { runCli } from '../e2e/cli.ts';

/** Filled in by the file's `before` hook; read it inside the tests. */
export interface FileStack {
  endpoints?: StackEndpoints;
  db?: pg.Pool;
}

export function stackForThisFile(): FileStack {
  // Our own state folder, not isolatedEnv(): its folder is removed by an `after` hook that runs
  // before ours, and `down` without its state folder would leave the stack running.
  const root = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-drivers-'));
  const stateDir = path.join(root, 'state');
  const env: NodeJS.ProcessEnv = { ...process.env, CHAOSCTL_STATE_DIR: stateDir };
  delete env.DATABASE_URL;
  const stack: FileStack = {};

  before(async () => {
    const up = await runCli(['up', '--json'], env, 240_000);
    assert.equal(up.code, 0, up.stderr);
    const state = JSON.parse(readFileSync(path.join(stateDir, 'stack.json'), 'utf8')) as { secrets: NonNullable<StackEndpoints['secrets']> };
    stack.endpoints = { ...(JSON.parse(up.stdout) as StackEndpoints), secrets: state.secrets };
    stack.db = new pg.Pool({ connectionString: stack.endpoints.databaseUrl, max: 2 });
  });

  after(async () => {
    await stack.db?.end();
    const down = await runCli(['down'], env, 120_000);
    rmSync(root, { recursive: true, force: true });
    assert.equal(down.code, 0, down.stderr);
  });

  return stack;
}
