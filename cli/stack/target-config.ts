/**
 * The target's configuration as both stack providers compare it: equal
 * configurations give equal processes or containers, so a stack reuses a
 * target whose configuration did not change and restarts one whose did.
 */
import { ChaosError } from '../core/errors.ts';
import type { TargetConfig } from './types.ts';

/** Most target instances a stack runs (each one is a Node process on a 2-core machine). */
export const MAX_INSTANCES = 4;

/** Environment the stack sets itself (with each proxy's, e.g. DATABASE_URL); a scenario's env cannot override these. */
const STACK_OWNED_ENV: readonly string[] = [
  'DATABASE_URL',
  'PORT',
  'HOST',
  'CHAOSCTL_SABOTAGE',
  'TELEGRAM_API_ROOT',
  'YOOKASSA_API_URL',
  'CRYPTOPAY_API_URL',
  'BOT_TOKEN',
  'YOOKASSA_SHOP_ID',
  'YOOKASSA_SECRET_KEY',
  'CRYPTOPAY_TOKEN',
  'CONTROL_TOKEN',
  'NODE_EXTRA_CA_CERTS',
  // Set by the stack itself when the target runs as several instances.
  'REDIS_URL',
  'BOT_MODE',
  'BOT_WEBHOOK_URL',
  'BOT_WEBHOOK_SECRET',
];

/**
 * Env keys sorted with the stack-owned ones dropped, sabotage sorted and
 * de-duplicated, instances only when more than one. Throws on an instance
 * count the stacks do not run.
 */
export function normalizeTargetConfig(config: TargetConfig, stackName: string): TargetConfig {
  const env: Record<string, string> = {};
  for (const key of Object.keys(config.env).sort()) {
    if (STACK_OWNED_ENV.includes(key)) continue;
    const value = config.env[key];
    if (value !== undefined) env[key] = value;
  }
  const instances = config.instances ?? 1;
  if (!Number.isInteger(instances) || instances < 1 || instances > MAX_INSTANCES) {
    throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: `instances: ${instances}`, detail: `the ${stackName} stack runs 1 to ${MAX_INSTANCES} target instances` });
  }
  return { env, sabotage: [...new Set(config.sabotage)].sort(), ...(instances > 1 ? { instances } : {}) };
}
