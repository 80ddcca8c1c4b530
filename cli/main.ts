/**
 * The chaosctl program: builds the commander tree and maps what a command
 * returns or throws to an exit code. Only this file and cli/commands/* exit.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeFor } from './core/errors.ts';
import { printError } from './commands/print-error.ts';
import { registerCommands } from './commands/index.ts';
import { VERSION } from './version.ts';

export function buildProgram(): Command {
  const program = new Command('chaosctl')
    .description('Load and chaos tests for a Telegram-bot backend: load and faults on one timeline, verdicts you can gate CI on.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerCommands(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
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
