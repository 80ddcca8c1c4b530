/**
 * The stack forwards Stryker's active mutant to the target as part of its
 * config, so a target started for another mutant is restarted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIVE_MUTANT_ENV, withActiveMutant } from '../../cli/stack/active-mutant.ts';
import type { TargetConfig } from '../../cli/stack/types.ts';

const SCENARIO: TargetConfig = { env: { SCHEDULER_TICK_MS: '100' }, sabotage: ['throttle'] };

test('an active mutant joins the target env next to the scenario overrides', () => {
  const config = withActiveMutant(SCENARIO, { [ACTIVE_MUTANT_ENV]: '17', PATH: '/bin' });
  assert.deepEqual(config, { env: { SCHEDULER_TICK_MS: '100', [ACTIVE_MUTANT_ENV]: '17' }, sabotage: ['throttle'] });
  assert.deepEqual(SCENARIO.env, { SCHEDULER_TICK_MS: '100' }, 'the scenario config is not changed in place');
});

test('two mutants give two different configs, so the running target is restarted', () => {
  const a = withActiveMutant(SCENARIO, { [ACTIVE_MUTANT_ENV]: '3' });
  const b = withActiveMutant(SCENARIO, { [ACTIVE_MUTANT_ENV]: '4' });
  assert.notDeepEqual(a, b);
});

test('without a mutant (or with an empty one) the config is unchanged', () => {
  assert.equal(withActiveMutant(SCENARIO, {}), SCENARIO);
  assert.equal(withActiveMutant(SCENARIO, { [ACTIVE_MUTANT_ENV]: '' }), SCENARIO);
});
