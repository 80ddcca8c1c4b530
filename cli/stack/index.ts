/** Picks the stack provider for a mode. */
import { ChaosError } from '../engine/errors.ts';
import { LocalStack } from './local.ts';
import type { StackMode, StackProvider } from './types.ts';

export function createStackProvider(mode: StackMode): StackProvider {
  if (mode === 'local') return new LocalStack();
  throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: `--stack ${mode}`, detail: 'only the local stack exists so far' });
}
