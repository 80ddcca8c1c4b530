/**
 * End to end through the real binary and a real local stack: fixture SQL before and
 * after the timeline, a scheduled job run on demand at a given slot (twice: the rerun
 * must not resend), a telegram-sent probe over a range of chats, and a profile.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { isolatedEnv, runCli } from './cli.ts';
import type { Journal } from '../../cli/core/journal.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';

const SCENARIO = path.join(PACKAGE_ROOT, 'test', 'fixtures', 'scenarios', 'ACTIONS.yaml');

function journalsIn(outDir: string): Journal[] {
  // Only the run folders: the output folder also holds index.html, the history of every kept run.
  const runs = readdirSync(outDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  return runs.flatMap((run) =>
    readdirSync(path.join(outDir, run))
      .filter((f) => f.endsWith('.journal.json'))
      .map((f) => JSON.parse(readFileSync(path.join(outDir, run, f), 'utf8')) as Journal),
  );
}

test('fixtures, run-job actions and a chat-range probe; a profile changes the verdict', async () => {
  const { env, outDir } = isolatedEnv();
  const up = await runCli(['up', '--json'], env, 120_000);
  assert.equal(up.code, 0, up.stderr);
  const endpoints = JSON.parse(up.stdout) as StackEndpoints;
  try {
    const result = await runCli(['run', SCENARIO, '--out', outDir], env, 120_000);
    assert.equal(result.code, 0, result.stderr);
    const [journal] = journalsIn(outDir);
    assert.ok(journal);
    assert.deepEqual(journal.fixtures.map((f) => [f.phase, f.name, f.error]), [
      ['setup', 'three-due-habits', undefined],
      ['teardown', 'remove-users', undefined],
    ]);
    assert.equal(journal.fixtures[1]?.rowCount, 3, 'teardown removed the three users');
    assert.deepEqual(journal.actions.map((a) => [a.step, a.outcome]), [['remind', 'ok'], ['remind-again', 'skipped']]);
    assert.match(journal.actions[0]?.detail ?? '', /slot \d{4}-\d\d-\d\dT04:00:00.000Z: sent 3,/);
    assert.match(journal.actions[1]?.detail ?? '', /sent 0,/, 'the rerun for the same slot sends nothing again');
    assert.equal(journal.finalSamples.reminders?.value, 3);
    const client = new pg.Client({ connectionString: endpoints.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM users WHERE telegram_id BETWEEN 100090001 AND 100090003');
      assert.equal(rows[0]?.n, 0, 'nothing of the fixture is left');
    } finally {
      await client.end();
    }

    const strict = await runCli(['run', SCENARIO, '--profile', 'strict', '--out', outDir], env, 120_000);
    assert.equal(strict.code, 1, 'the profile asks for an outcome the job does not give');
    assert.match(strict.stderr, /first-run-ok/);
    const profiled = journalsIn(outDir).find((j) => j.environment.profile === 'strict');
    assert.ok(profiled, 'the journal names the profile');
  } finally {
    await runCli(['down'], env, 60_000);
  }
});
