/**
 * Process plumbing for the local stack: spawning services that outlive
 * chaosctl, reading a process's state from /proc, signalling and stopping.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { sleep } from './http-probe.ts';

/** running: scheduled normally; paused: stopped by SIGSTOP; gone: exited (zombies count as gone). */
export type ProcessState = 'running' | 'paused' | 'gone';

/**
 * State of `pid` from /proc/<pid>/stat. A zombie counts as gone: when PID 1
 * does not reap orphans, a killed postmaster lingers as one and signal 0 would
 * still call it alive.
 */
export function processState(pid: number): ProcessState {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return signalZeroSaysAlive(pid) ? 'running' : 'gone';
  }
  // The command name is in parentheses and may contain spaces; the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state === 'Z' || state === 'X' || state === 'x') return 'gone';
  if (state === 'T' || state === 't') return 'paused';
  return 'running';
}

function signalZeroSaysAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function isAlive(pid: number): boolean {
  return processState(pid) !== 'gone';
}

/** The command line of `pid` as one string (arguments joined by spaces), or null when unreadable. */
export function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return null;
  }
}

/**
 * Whether `pid` is alive and its command line contains `marker`. Guards every
 * signal we send to a pid read from a state file: after a reboot that pid may
 * belong to an unrelated process. Without /proc the marker cannot be checked
 * and liveness alone decides.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd === null ? true : cmd.includes(marker);
}

/** Direct children of `pid` (from /proc; empty where /proc is missing). */
export function childPids(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(entry));
    } catch {
      // The process exited while we looked.
    }
  }
  return children;
}

/** Sends `signal`; false when the process does not exist. */
export function sendSignal(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Polls `predicate` every `intervalMs` until it holds or `timeoutMs` passes. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/**
 * Stops a process: SIGCONT (a paused process cannot act on SIGTERM), SIGTERM,
 * then SIGKILL when it is still there after `graceMs`.
 */
export async function stopProcess(pid: number, graceMs = 5000): Promise<'gone' | 'terminated' | 'killed'> {
  if (!isAlive(pid)) return 'gone';
  sendSignal(pid, 'SIGCONT');
  sendSignal(pid, 'SIGTERM');
  if (await waitUntil(() => !isAlive(pid), graceMs)) return 'terminated';
  sendSignal(pid, 'SIGKILL');
  if (await waitUntil(() => !isAlive(pid), 5000)) return 'killed';
  throw new Error(`process ${pid} is still there 5 s after SIGKILL`);
}

export interface SpawnDetachedOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  logFile: string;
}

/**
 * Starts a long-lived service. It gets its own session (detached), so a Ctrl-C
 * in the user's terminal does not reach it, writes to its log file rather than
 * to our pipes, and is unref'd so chaosctl can exit while it keeps running.
 */
export function spawnDetached(command: string, args: string[], options: SpawnDetachedOptions): number {
  const fd = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
    // Without a listener a failed exec (ENOENT) would be an uncaught 'error'.
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export interface RunOptions extends SpawnDetachedOptions {
  timeoutMs: number;
}

/**
 * Runs a short-lived tool to completion with its output appended to the log
 * file. Detached like the services it may leave behind (pg_ctl's postmaster
 * inherits its session). Throws with the log's tail on failure or timeout.
 */
export function runTool(command: string, args: string[], options: RunOptions): Promise<void> {
  const fd = openSync(options.logFile, 'a');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const timer = setTimeout(() => {
      // The whole process group: runuser and whatever it started for us.
      if (child.pid !== undefined) sendSignal(-child.pid, 'SIGKILL');
    }, options.timeoutMs);
    const fail = (reason: string): void => {
      void tailOfFile(options.logFile).then((tail) => reject(new Error(tail ? `${reason}; log ${options.logFile} ends with:\n${tail}` : reason)));
    };
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(`${command}: ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else if (signal === 'SIGKILL') fail(`${[command, ...args].join(' ')} did not finish within ${options.timeoutMs} ms`);
      else fail(`${[command, ...args].join(' ')} exited with ${code === null ? `signal ${signal}` : `code ${code}`}`);
    });
  });
}

/** The last `lines` lines of a text file (reads at most its last 16 KiB); empty when unreadable. */
export async function tailOfFile(file: string, lines = 20): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 16 * 1024);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/** The first executable file called `name` on PATH, or null. */
export function findOnPath(name: string, pathVariable: string | undefined = process.env.PATH): string | null {
  for (const dir of (pathVariable ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = `${dir}/${name}`;
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
