/** `chaosctl doctor`: can this machine run each stack mode, and what fixes what is missing. */
import type { Command } from 'commander';
import { exitCodeFor, EXIT } from '../core/errors.ts';
import { doctor } from '../stack/doctor.ts';
import { printError } from './print-error.ts';
import { say } from './shared.ts';

/** The mode `run`, `up` and the rest use without --stack. */
const DEFAULT_MODE = 'local';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check whether this machine can run each stack mode (local, docker) and print the command that fixes each missing piece; exit 0 when the default (local) can run')
    .option('--json', 'print the checks as JSON on stdout')
    .action(async (flags: { json?: boolean }) => {
      try {
        const reports = await doctor();
        if (flags.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
        for (const report of reports) {
          say(`${report.mode.padEnd(7)} ${report.ready ? 'ready' : 'NOT ready'}${report.mode === DEFAULT_MODE ? ' (default)' : ''}`);
          for (const check of report.checks) {
            say(`  ${check.ok ? '✓' : check.optional ? '-' : '✗'} ${check.name}: ${check.detail}`);
            if (!check.ok && check.fix) say(`      fix: ${check.fix}`);
          }
        }
        process.exitCode = reports.find((r) => r.mode === DEFAULT_MODE)?.ready ? EXIT.ok : EXIT.stackFailure;
      } catch (error) {
        printError(error);
        process.exitCode = exitCodeFor(error);
      }
    });
}
