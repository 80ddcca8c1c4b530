/**
 * What `run` and `prove` share: one run lock, leftovers from killed runs reverted
 * first, signals turned into an orderly stop, progress or dashboard attached, the
 * stack reused or brought up (and then taken down again), scenarios run one by one.
 */
import { randomBytes } from 'node:crypto';
import { ChaosError, EXIT } from '../core/errors.ts';
import { EventBus } from '../core/events.ts';
import type { Journal } from '../core/journal.ts';
import { recover } from '../engine/recover.ts';
import { acquireRunLock } from '../engine/run-lock.ts';
import { notRunJournal, runScenario } from '../engine/runner.ts';
import type { LoadedScenario } from '../engine/scenario-loader.ts';
import { attachProgress } from './progress.ts';
import { printError } from './print-error.ts';
import { openStack, say, VERSION } from './shared.ts';
import type { StackMode } from '../stack/types.ts';

export interface SessionOptions {
  stackMode: StackMode;
  keepStack?: boolean;
  /** Live dashboard allowed (it is still only used on an interactive terminal outside CI). */
  dashboard: boolean;
  json?: boolean;
  /** `--instances N`: overrides every scenario's target.instances. */
  instances?: number;
}

export interface Session {
  runId: string;
  /** Aborted by SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Runs one scenario with the target configured by its overrides and these sabotage switches. */
  run(loaded: LoadedScenario, sabotage: string[]): Promise<Journal>;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The exit code for a set of journals: interrupted > harness error > failed (or aborted) verdict > pass. */
export function exitCodeForRun(journals: Journal[], signal: 'SIGINT' | 'SIGTERM' | null): number {
  if (signal) return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  if (journals.some((j) => j.status === 'error')) return EXIT.stackFailure;
  if (journals.some((j) => j.status === 'failed' || j.status === 'aborted')) return EXIT.verdictFailed;
  return EXIT.ok;
}

/** Runs `body` inside a session; returns what it returned and which signal, if any, interrupted it. */
export async function withSession<T>(options: SessionOptions, body: (session: Session) => Promise<T>): Promise<{ value: T; signal: 'SIGINT' | 'SIGTERM' | null }> {
  const { stack, ledger, dir } = openStack(options.stackMode);
  const lock = acquireRunLock(dir);
  const interrupt = new AbortController();
  let signal: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => (): void => {
    if (signal) {
      say(`chaosctl: still reverting faults after ${signal}; please wait (they are bounded in time)`);
      return;
    }
    signal = name;
    say(`chaosctl: ${name} received: ending the timeline and reverting every fault…`);
    interrupt.abort();
  };
  const sigint = onSignal('SIGINT');
  const sigterm = onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);

  const bus = new EventBus();
  // The live dashboard on an interactive terminal; plain lines everywhere else (CI, pipes, --json).
  const live = options.dashboard && !options.json && process.stderr.isTTY === true && !process.env.CI;
  // Loaded only when shown: Ink, React and yoga add about 50 MB to every run that prints plain lines (docs/performance.md).
  const detach = live ? (await import('../dashboard/live.tsx')).attachDashboard(bus, process.stderr) : attachProgress(bus, say);
  let ephemeral = false;
  try {
    const leftovers = await recover(stack, ledger, { onlyOrphans: true, progress: (l) => say(`chaosctl: leftover from a killed run: ${l}`) });
    if (leftovers.failed.length > 0) {
      throw new ChaosError('CHAOSCTL_E_REVERT', { count: leftovers.failed.length, detail: leftovers.failed.map((f) => f.error).join('; ') });
    }
    ephemeral = (await stack.endpoints()) === null;
    const runId = newRunId();
    const session: Session = {
      runId,
      signal: interrupt.signal,
      async run(loaded, sabotage) {
        const instances = options.instances ?? loaded.scenario.target.instances;
        if (instances !== undefined && stack.maxInstances !== undefined && instances > stack.maxInstances) {
          // Run with fewer, it would pass for the wrong reason (one process cannot show a race between two).
          const reason = `not run: this scenario needs ${instances} target instances and --stack ${stack.mode} runs ${stack.maxInstances}; run it with --stack local`;
          return notRunJournal({ loaded, runId, stack, bus, sabotage, chaosctlVersion: VERSION, services: {} }, reason);
        }
        const endpoints = await stack.up({ env: loaded.scenario.target.env, sabotage, instances }, (line) => bus.emit('stack:progress', { line }));
        const services: Record<string, string> = { target: endpoints.targetUrl, toxiproxy: endpoints.toxiproxyUrl };
        if (endpoints.targetInstanceUrls) {
          services.target = `${endpoints.targetUrl} (haproxy, ${endpoints.targetInstanceUrls.length} instances)`;
          for (const [i, url] of endpoints.targetInstanceUrls.entries()) services[`target instance ${i + 1}`] = url;
        }
        for (const p of Object.values(endpoints.proxies)) services[`proxy ${p.name}`] = `${p.listen} → ${p.upstream}`;
        const journal = await runScenario({ loaded, runId, stack, endpoints, bus, ledger, signal: interrupt.signal, sabotage, chaosctlVersion: VERSION, services });
        // An errored run has no verdict; what the services printed last is the first thing to read.
        if (journal.status === 'error' && stack.logTails) journal.stackLogs = await stack.logTails().catch(() => undefined);
        return journal;
      },
    };
    const value = await body(session);
    return { value, signal };
  } finally {
    detach();
    if (ephemeral && !options.keepStack) {
      try {
        await stack.down((line) => say(`  stack: ${line}`));
      } catch (error) {
        printError(error);
      }
    }
    lock.release();
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
}
