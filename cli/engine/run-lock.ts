/** One run at a time per state folder: a lock file holding the owner's pid. A dead owner's lock is taken over. */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChaosError } from './errors.ts';
import { isAlive } from './injection-ledger.ts';

export interface RunLock {
  release(): void;
}

export function acquireRunLock(dir: string): RunLock {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'run.lock');
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
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new ChaosError('CHAOSCTL_E_BUSY', { pid: owner, dir });
      }
      rmSync(file, { force: true }); // stale: its owner is gone
    }
  }
  throw new ChaosError('CHAOSCTL_E_BUSY', { pid: 'unknown', dir });
}
