/** `chaosctl up | down | status | recover`: manage the stack and clean up after killed runs. */
import type { Command } from 'commander';
import { exitCodeFor, EXIT } from '../engine/errors.ts';
import { recover } from '../engine/recover.ts';
import { printError } from './print-error.ts';
import { openStack, parseSabotage, parseStackMode, say } from './shared.ts';

interface StackFlags {
  stack: string;
  sabotage?: string;
  json?: boolean;
}

/** Wraps an action so errors print once and map to an exit code. */
function guarded<A extends unknown[]>(action: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await action(...args);
    } catch (error) {
      printError(error);
      process.exitCode = exitCodeFor(error);
    }
  };
}

const stackOption = ['--stack <mode>', 'stack provider: local (child processes) or docker (containers through Dockerode)', 'local'] as const;

export function register(program: Command): void {
  program
    .command('up')
    .description('Start the stack (PostgreSQL, Toxiproxy, the Telegram/YooKassa/Crypto Pay simulators, the target) and leave it running for later runs')
    .option(...stackOption)
    .option('--sabotage <switches>', 'TEST ONLY: start the target with these sabotage switches')
    .option('--json', 'print the endpoints as JSON on stdout')
    .action(
      guarded(async (flags: StackFlags) => {
        const { stack } = openStack(parseStackMode(flags.stack));
        const endpoints = await stack.up({ env: {}, sabotage: parseSabotage(flags.sabotage) }, (line) => say(`  ${line}`));
        // Tokens stay in stack.json (mode 0600); they are never printed.
        const { controlToken: _token, secrets: _secrets, ...shown } = endpoints;
        if (flags.json) process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        else {
          say(`target      ${endpoints.targetUrl}`);
          say(`toxiproxy   ${endpoints.toxiproxyUrl}`);
          for (const proxy of Object.values(endpoints.proxies)) say(`proxy       ${proxy.name}: ${proxy.listen} → ${proxy.upstream}`);
        }
        return EXIT.ok;
      }),
    );

  program
    .command('down')
    .description('Stop the stack and remove its throwaway data (safe to run twice)')
    .option(...stackOption)
    .action(
      guarded(async (flags: StackFlags) => {
        const { stack } = openStack(parseStackMode(flags.stack));
        await stack.down((line) => say(`  ${line}`));
        say('stack is down');
        return EXIT.ok;
      }),
    );

  program
    .command('status')
    .description('Show whether each service of the stack runs, and any fault still in place; exit 0 when everything runs')
    .option(...stackOption)
    .option('--json', 'print the status as JSON on stdout')
    .action(
      guarded(async (flags: StackFlags) => {
        const { stack, ledger } = openStack(parseStackMode(flags.stack));
        const services = await stack.status();
        const faults = ledger.read();
        if (flags.json) process.stdout.write(`${JSON.stringify({ services, faults }, null, 2)}\n`);
        else {
          for (const s of services) say(`${s.running ? 'up  ' : 'DOWN'}  ${s.name.padEnd(10)} ${s.detail}`);
          for (const f of faults) say(`FAULT ${f.scenarioId}/${f.step}: ${f.description} (pid ${f.pid}, since ${f.since}); \`chaosctl recover\` reverts it`);
        }
        return services.length > 0 && services.every((s) => s.running) && faults.length === 0 ? EXIT.ok : EXIT.stackFailure;
      }),
    );

  program
    .command('recover')
    .description('Revert every fault a killed run left behind, reset Toxiproxy and bring every service back up')
    .option(...stackOption)
    .action(
      guarded(async (flags: StackFlags) => {
        const { stack, ledger } = openStack(parseStackMode(flags.stack));
        const report = await recover(stack, ledger, { backstop: true, progress: (line) => say(`  ${line}`) });
        if (!report.stackRunning) say('no stack is running: nothing to recover on');
        for (const line of report.backstop) say(`  ${line}`);
        for (const f of report.failed) say(`could not revert ${f.entry.scenarioId}/${f.entry.step}: ${f.error}`);
        const broken = report.failed.length + report.backstop.filter((l) => /could not|failed/.test(l)).length;
        say(broken === 0 ? `recovered: ${report.reverted.length} fault(s) reverted, stack clean` : `${broken} problem(s) left`);
        return broken === 0 ? EXIT.ok : EXIT.stackFailure;
      }),
    );
}
