/**
 * Scenario fixtures: SQL a scenario runs on the harness's own database connection
 * (never through a proxy) to put its data in place before the steady-state check, and
 * to take it away after the verdict.
 */
import type pg from 'pg';
import type { FixtureRecord } from '../core/journal.ts';
import type { Fixture } from '../core/scenario-schema.ts';

/** A fixture may load thousands of rows; it may not hang a run forever. */
export const FIXTURE_TIMEOUT_MS = 120_000;

/**
 * Runs the fixtures in order, each as one simple query (several statements allowed, run
 * in one implicit transaction). Setup stops at the first failure; teardown runs every
 * fixture regardless, so one failed clean-up does not leave the others' rows behind.
 */
export async function runFixtures(phase: FixtureRecord['phase'], fixtures: readonly Fixture[], db: pg.Pool, now: () => number = Date.now): Promise<FixtureRecord[]> {
  const records: FixtureRecord[] = [];
  for (const fixture of fixtures) {
    const started = now();
    try {
      const answer = (await db.query({ text: fixture.sql, query_timeout: FIXTURE_TIMEOUT_MS } as { text: string })) as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(answer) ? answer[answer.length - 1] : answer;
      records.push({ phase, name: fixture.name, durationMs: Math.round(now() - started), rowCount: last?.rowCount ?? null });
    } catch (error) {
      records.push({ phase, name: fixture.name, durationMs: Math.round(now() - started), rowCount: null, error: (error as Error).message });
      if (phase === 'setup') break;
    }
  }
  return records;
}
