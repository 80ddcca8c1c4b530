/** How every command prints an error: message and code, detail lines, a stack only with DEBUG set. */
import { ChaosError } from '../core/errors.ts';

export function printError(error: unknown): void {
  if (error instanceof ChaosError) {
    process.stderr.write(`chaosctl: ${error.message} [${error.code}]\n`);
    for (const line of error.details) process.stderr.write(`  ${line}\n`);
  } else {
    process.stderr.write(`chaosctl: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
}
