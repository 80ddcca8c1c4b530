/** Picks the stack provider for a mode. */
import { DockerStack } from './docker.ts';
import { LocalStack } from './local.ts';
import type { StackMode, StackProvider } from './types.ts';

export function createStackProvider(mode: StackMode): StackProvider {
  return mode === 'docker' ? new DockerStack() : new LocalStack();
}
