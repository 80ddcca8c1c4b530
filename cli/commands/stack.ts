/** `chaosctl up | down | status | recover`: manage the stack and clean up after killed runs. */
import type { Command } from 'commander';
import { ChaosError, exitCodeFor, EXIT } from '../core/errors.ts';
import { recover } from '../engine/recover.ts';
import { acquireStackLock, MAX_LOCK_WAIT_S, type RunLock } from '../engine/run-lock.ts';
import { printError } from './print-error.ts';
import { openStack, parseInstances, parseSabotage, parseStackMode, say } from './shared.ts';

interface StackFlags {
  stack: string;
  sabotage?: string;
  instances?: string;
  json?: boolean;
  /** --wait alone is true; --wait 30 is "30". */
  wait?: boolean | string;
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

const DEFAULT_WAIT_S = 600;

/** Seconds to wait for a live run: 0 without --wait, 600 with it alone, else the number given (1 to 3600). */
export function parseWait(value: boolean | string | undefined): number {
  if (value === undefined || value === false) return 0;
  if (value === true) return DEFAULT_WAIT_S;
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < 1 || seconds > MAX_LOCK_WAIT_S) {
    throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `--wait takes whole seconds from 1 to ${MAX_LOCK_WAIT_S}, not "${value}"` });
  }
  return seconds;
}

/** Runs body holding the run lock, so it never changes the stack under a live run. */
async function underRunLock<T>(command: 'up' | 'down' | 'recover', dir: string, wait: boolean | string | undefined, body: () => Promise<T>): Promise<T> {
  const waitS = parseWait(wait);
  const lock: RunLock = await acquireStackLock(dir, {
    command,
    // Only `up` creates the state folder; `down` and `recover` on a folder that is not there have nothing to guard.
    onlyIfStateExists: command !== 'up',
    waitMs: waitS * 1000,
    onWait: (pid) => say(`chaosctl: a run (pid ${pid}) is using this stack; waiting up to ${waitS} s for it to end…`),
  });
  try {
    return await body();
  } finally {
    lock.release();
  }
}

const stackOption = ['--stack <mode>', 'stack provider: local (child processes) or docker (containers through Dockerode)', 'local'] as const;
const waitOption = ['--wait [seconds]', `while a run uses the stack, wait for it to end (default ${DEFAULT_WAIT_S} s, at most ${MAX_LOCK_WAIT_S}) instead of refusing`] as const;
const lockNote = '\nWhile a run uses the stack this command refuses (CHAOSCTL_E_RUN_ACTIVE, exit 3); --wait waits for the run to end instead.\n';

export function register(program: Command): void {
  program
    .command('up')
    .description('Start the stack (PostgreSQL, Toxiproxy, the Telegram/YooKassa/Crypto Pay simulators, the target) and leave it running for later runs')
    .option(...stackOption)
    .option('--sabotage <switches>', 'TEST ONLY: start the target with these sabotage switches')
    .option('--instances <n>', 'run the target as N processes (1–4) behind HAProxy, sharing PostgreSQL and a Redis')
    .option('--json', 'print the endpoints as JSON on stdout')
    .option(...waitOption)
    .addHelpText('after', lockNote)
    .action(
      guarded(async (flags: StackFlags) => {
        const sabotage = parseSabotage(flags.sabotage);
        const { stack, dir } = openStack(parseStackMode(flags.stack));
        const endpoints = await underRunLock('up', dir, flags.wait, () => stack.up({ env: {}, sabotage, instances: parseInstances(flags.instances) ?? 1 }, (line) => say(`  ${line}`)));
        // Tokens stay in stack.json (mode 0600); they are never printed.
        const { controlToken: _token, secrets: _secrets, ...shown } = endpoints;
        if (flags.json) process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        else {
          say(`target      ${endpoints.targetUrl}${endpoints.targetInstanceUrls ? ` (haproxy → ${endpoints.targetInstanceUrls.join(', ')})` : ''}`);
          say(`toxiproxy   ${endpoints.toxiproxyUrl}`);
          for (const proxy of Object.values(endpoints.proxies)) say(`proxy       ${proxy.name}: ${proxy.listen} → ${proxy.upstream}`);
        }
        return EXIT.ok;
      }),
    );

  program
    .command('down')
    .description('Stop the stack and remove its throwaway data, settling the fault ledger (safe to run twice)')
    .option(...stackOption)
    .option(...waitOption)
    .addHelpText('after', lockNote)
    .action(
      guarded(async (flags: StackFlags) => {
        const { stack, ledger, dir } = openStack(parseStackMode(flags.stack));
        await underRunLock('down', dir, flags.wait, async () => {
          const entries = ledger.read();
          // When this throws, part of the stack is still there, and maybe a fault in it: the ledger keeps its entries for recover.
          await stack.down((line) => say(`  ${line}`));
          // Every fault lived in a service of the stack just removed, so it is gone too.
          ledger.settle(entries.map((e) => e.key));
          for (const e of entries) say(`  settled ${e.scenarioId}/${e.step} (${e.description}): it went with the stack`);
        });
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
    .description('Revert every fault a killed run left behind, reset Toxiproxy and bring every service back up; with no stack, settle the ledger')
    .option(...stackOption)
    .option(...waitOption)
    .addHelpText('after', lockNote)
    .action(
      guarded(async (flags: StackFlags) => {
        const { stack, ledger, dir } = openStack(parseStackMode(flags.stack));
        const report = await underRunLock('recover', dir, flags.wait, () => recover(stack, ledger, { backstop: true, progress: (line) => say(`  ${line}`) }));
        if (!report.stackRunning) {
          say(
            report.settled.length > 0
              ? `no stack is running: ${report.settled.length} fault record(s) settled (their faults went with the stack); ledger clean`
              : 'no stack is running and no fault is recorded: nothing to recover',
          );
          return EXIT.ok;
        }
        for (const line of report.backstop) say(`  ${line}`);
        for (const f of report.failed) say(`could not revert ${f.entry.scenarioId}/${f.entry.step}: ${f.error}`);
        const broken = report.failed.length + report.backstop.filter((l) => /could not|failed/.test(l)).length;
        say(broken === 0 ? `recovered: ${report.reverted.length} fault(s) reverted, stack clean` : `${broken} problem(s) left`);
        return broken === 0 ? EXIT.ok : EXIT.stackFailure;
      }),
    );
}
