/**
 * Isolation end to end: a scenario's verdict does not depend on the runs before it.
 * `prove C7 L9` runs C7 with ledger-idempotency switched off, which credits
 * balances twice and leaves them in the database; L9's healthy run comes right after, on the
 * same stack, and used to fail its ledger check on C7's rows. It must pass now, while
 * the database still holds C7's balances off their ledger (checked afterwards over every row).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { isolatedEnv, runCli } from './cli.ts';
import type { Journal } from '../../cli/core/journal.ts';
import type { ProofRow } from '../../cli/core/proof.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';

function journalsIn(outDir: string): Journal[] {
  // The output folder also holds the history page (index.html) beside the run folders.
  const runs = readdirSync(outDir).filter((name) => statSync(path.join(outDir, name)).isDirectory());
  return runs.flatMap((run) =>
    readdirSync(path.join(outDir, run))
      .filter((f) => f.endsWith('.journal.json'))
      .map((f) => JSON.parse(readFileSync(path.join(outDir, run, f), 'utf8')) as Journal),
  );
}

test('a sabotaged C7 run before L9 does not decide L9\'s healthy run', { timeout: 420_000 }, async () => {
  const { env, outDir } = isolatedEnv();
  const up = await runCli(['up', '--json'], env, 120_000);
  assert.equal(up.code, 0, up.stderr);
  const endpoints = JSON.parse(up.stdout) as StackEndpoints;
  try {
    const proof = await runCli(['prove', 'C7', 'L9', '--json', '--no-dashboard', '--out', outDir], env, 360_000);
    const { rows } = JSON.parse(proof.stdout || '{"rows":[]}') as { rows: ProofRow[] };
    assert.deepEqual(
      rows.map((r) => [r.scenario, r.sabotage, r.outcome]),
      [
        ['C7', 'ledger-idempotency', 'caught'],
        ['C7', 'credit-race', 'caught'],
        ['L9', 'ledger-idempotency', 'caught'],
      ],
      proof.stderr,
    );
    assert.equal(proof.code, 0, proof.stderr);

    const journals = journalsIn(outDir).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const order = journals.map((j) => `${j.scenario.id}:${j.environment.sabotage.join(',') || 'healthy'}:${j.status}`);
    assert.deepEqual(order, ['C7:healthy:passed', 'C7:ledger-idempotency:failed', 'C7:credit-race:failed', 'L9:healthy:passed', 'L9:ledger-idempotency:failed']);

    // The poison was there when L9 ran healthy: C7's sabotaged run left a balance credited
    // twice for one ledger credit (and L9's sabotaged run more of them).
    const client = new pg.Client({ connectionString: endpoints.databaseUrl });
    await client.connect();
    try {
      const { rows: left } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM users u WHERE u.balance <> (SELECT coalesce(sum(CASE WHEN l.kind = 'credit'
         THEN l.amount ELSE -l.amount END), 0) FROM balance_ledger l WHERE l.user_id = u.id)`,
      );
      assert.ok((left[0]?.n ?? 0) >= 2, 'the sabotaged runs left balances off their ledger behind, over the whole database');
    } finally {
      await client.end();
    }
  } finally {
    await runCli(['down'], env, 60_000);
  }
});
