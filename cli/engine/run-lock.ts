/**
 * One run at a time per state folder: a lock file holding the owner's pid. A dead owner's
 * lock is taken over. `up`, `down` and `recover` take the same lock, so none of them pulls
 * the stack or its faults from under a live run; with --wait they wait for it, bounded.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChaosError } from '../core/errors.ts';
import { isAlive } from './injection-ledger.ts';

export interface RunLock {
  release(): void;
}

export function runLockFile(dir: string): string {
  return path.join(dir, 'run.lock');
}

export function acquireRunLock(dir: string): RunLock {
  mkdirSync(dir, { recursive: true });
  const file = runLockFile(dir);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return {
        release: () => {
          try {
            if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new ChaosError('CHAOSCTL_E_STATE', { file, detail: (error as Error).message }, { cause: error });
      const owner = lockOwner(file);
      if (owner !== null && owner !== process.pid && isAlive(owner)) {
        throw new ChaosError('CHAOSCTL_E_BUSY', { pid: owner, dir });
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new ChaosError('CHAOSCTL_E_BUSY', { pid: 'unknown', dir });
}

/** The pid written in a lock file, or null when it is unreadable or gone (a lock being written or released). */
function lockOwner(file: string): number | null {
  try {
    const owner = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(owner) && owner > 0 ? owner : null;
  } catch {
    return null;
  }
}

/** The longest `--wait` accepted, in seconds: a run of the whole catalogue fits well within it. */
export const MAX_LOCK_WAIT_S = 3600;

export interface LockWaitOptions {
  /** The command asking, for the message (`down`, `recover`, `up`). */
  command: string;
  /** How long to wait for a live run to end; 0 refuses at once. */
  waitMs: number;
  /** Said once when the command starts waiting. */
  onWait?: (pid: number | string) => void;
  pollMs?: number;
  /**
   * When the state folder does not exist there is no stack and no run to protect: take no
   * lock and create nothing (a stray `.chaosctl/` would mark its folder as a project).
   */
  onlyIfStateExists?: boolean;
}

/**
 * The run lock for a stack command: taken at once when no run holds it; otherwise refused
 * (CHAOSCTL_E_RUN_ACTIVE), or waited for up to waitMs and refused after that.
 */
export async function acquireStackLock(dir: string, options: LockWaitOptions): Promise<RunLock> {
  if (options.onlyIfStateExists && !existsSync(dir)) return { release: () => undefined };
  const started = Date.now();
  let announced = false;
  for (;;) {
    try {
      return acquireRunLock(dir);
    } catch (error) {
      if (!(error instanceof ChaosError) || error.code !== 'CHAOSCTL_E_BUSY') throw error;
      const waited = Date.now() - started;
      if (waited >= options.waitMs) {
        const outcome = options.waitMs > 0 ? `still held, after ${Math.round(waited / 1000)} s of waiting,` : 'holds';
        throw new ChaosError('CHAOSCTL_E_RUN_ACTIVE', { command: options.command, pid: error.params.pid ?? 'unknown', dir, outcome }, { cause: error });
      }
      if (!announced) {
        options.onWait?.(error.params.pid ?? 'unknown');
        announced = true;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 250, options.waitMs - waited)));
    }
  }
}
