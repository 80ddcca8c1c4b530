/**
 * The chaosctl program: builds the commander tree and maps what a command
 * returns or throws to an exit code. Only this file and cli/commands/* exit.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ChaosError, EXIT, exitCodeFor } from './engine/errors.ts';
import { PACKAGE_ROOT } from './paths.ts';

const VERSION = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Prints an error the way every command does: code, message, details; a stack only with DEBUG. */
export function printError(error: unknown): void {
  if (error instanceof ChaosError) {
    process.stderr.write(`chaosctl: ${error.message} [${error.code}]\n`);
    for (const line of error.details) process.stderr.write(`  ${line}\n`);
  } else {
    process.stderr.write(`chaosctl: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  }
}

export function buildProgram(): Command {
  const program = new Command('chaosctl')
    .description('Load and chaos tests for a Telegram-bot backend: load and faults on one timeline, verdicts you can gate CI on.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  const { registerCommands } = await import('./commands/index.ts');
  registerCommands(program);
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage mistakes with 2.
      process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    } else {
      printError(error);
      process.exitCode = exitCodeFor(error);
    }
  }
  process.exit(process.exitCode ?? EXIT.ok);
}

await main();
