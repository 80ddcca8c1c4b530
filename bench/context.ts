/** What every figure gets from the bench: the stack it runs on, a work folder, the time it may take. */
import type { LocalStack } from '../cli/stack/local.ts';
import type { StackEndpoints } from '../cli/stack/types.ts';

export interface BenchContext {
  stack: LocalStack;
  endpoints: StackEndpoints;
  /** The stack's state folder: `chaosctl run` started with CHAOSCTL_STATE_DIR set to it reuses this stack. */
  stateDir: string;
  /** A temporary folder for scenario copies, run outputs and tool files. */
  workDir: string;
  /** Length of each side-by-side load measurement, in seconds (`--seconds`). */
  seconds: number;
  progress(line: string): void;
  /** Aborted on Ctrl-C: figures stop starting new work. */
  signal: AbortSignal;
}
