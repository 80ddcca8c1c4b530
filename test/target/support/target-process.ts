/**
 * The target as its own OS process (`node --import tsx target/main.ts`), for
 * tests of main.ts's wiring: start-up against a database that is not up yet,
 * webhook mode, a rate limit shared through Redis. Its JSON log lines are
 * kept for assertions; stop() sends SIGTERM as a supervisor would.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../../cli/stack/free-port.ts';
import { PACKAGE_ROOT } from '../../../cli/paths.ts';

export type LogLine = Record<string, unknown>;

export interface TargetProcess {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Every JSON line the process wrote to stdout, in order. */
  lines: LogLine[];
  /** The first log line (already written or still to come) that `match` accepts; fails after `timeoutMs`. */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Exit code once the process has ended; null while it runs. */
  exitCode(): number | null;
  /** SIGTERM, then SIGKILL after 10 s; resolves with the exit code. Safe to call twice. */
  stop(): Promise<number | null>;
}

/** How long a stopped target may take before it is killed (main.ts gives itself 8 s). */
const STOP_WAIT_MS = 10_000;

/**
 * Starts target/main.ts on a free port with `env` on top of a minimal
 * environment (nothing of the test runner's own environment but PATH and HOME,
 * so no stray sabotage switch or token reaches it).
 */
export async function startTargetProcess(env: Record<string, string>, port?: number): Promise<TargetProcess> {
  const listenPort = port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('target', 'main.ts')], {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', HOST: '127.0.0.1', PORT: String(listenPort), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  const take = (chunk: Buffer): void => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      if (part.trim() === '') continue;
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ msg: part, unparsed: true });
      }
    }
    for (const wake of waiters) wake();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  let code: number | null = null;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (exitCode, signal) => {
      code = exitCode ?? (signal ? 128 : null);
      for (const wake of waiters) wake();
      resolve(code);
    });
  });

  const waitForLog = (what: string, match: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = lines.find(match);
        if (found) return finish(() => resolve(found));
        if (code !== null) finish(() => reject(new Error(`target exited (${code}) before logging ${what}; last lines: ${JSON.stringify(lines.slice(-5))}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for the target to log ${what}; last lines: ${JSON.stringify(lines.slice(-5))}`))), timeoutMs);
      function finish(settle: () => void): void {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      }
      waiters.add(check);
      check();
    });

  let stopping: Promise<number | null> | null = null;
  const stop = (): Promise<number | null> => {
    stopping ??= (async () => {
      if (code !== null) return code;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
      const result = await exited;
      clearTimeout(killer);
      return result;
    })();
    return stopping;
  };

  return { url: `http://127.0.0.1:${listenPort}`, port: listenPort, lines, waitForLog, exitCode: () => code, stop };
}
