/** Registers every chaosctl command on the program. Commands are thin: parse, wire, set process.exitCode. */
import type { Command } from 'commander';

export function registerCommands(_program: Command): void {
  // Filled in as commands land.
}
