/**
 * Mutation testing (bench/mutation, StrykerJS) puts every mutant into the
 * target's code at once and picks the live one through an environment
 * variable. The target must see that variable, and a target started for
 * another mutant (or for none) must be restarted, so the stack treats it as
 * part of the target's configuration.
 */
import type { TargetConfig } from './types.ts';

/** The variable Stryker's instrumented code reads to know which mutant is on. */
export const ACTIVE_MUTANT_ENV = '__STRYKER_ACTIVE_MUTANT__';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `config` with the active mutant of `env` in its environment, so a running
 * target started for a different mutant compares as a different config.
 * Unchanged when no mutant is active.
 */
export function withActiveMutant(config: TargetConfig, env: Env): TargetConfig {
  const mutant = env[ACTIVE_MUTANT_ENV];
  if (mutant === undefined || mutant === '') return config;
  return { ...config, env: { ...config.env, [ACTIVE_MUTANT_ENV]: mutant } };
}
