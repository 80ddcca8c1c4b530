/**
 * What every repository function takes first: the pool, and the sabotage
 * switches that are on. Passing the switches explicitly keeps a broken
 * behaviour visible at the call site instead of hidden in module state.
 */
import type pg from 'pg';
import { NO_SABOTAGE } from '../sabotage.ts';
import type { Sabotage } from '../sabotage.ts';

export interface Db {
  readonly pool: pg.Pool;
  /** Test-only switches; NO_SABOTAGE in production. */
  readonly sabotage: Sabotage;
}

export function createDb(pool: pg.Pool, sabotage: Sabotage = NO_SABOTAGE): Db {
  return { pool, sabotage };
}
