/**
 * The machine-wide scenario lock, held in slices.
 *
 * Every scenario run on this machine holds /tmp/chaosctl-scenarios.lock
 * (flock). flock wakes waiters in no order, so a bench that queued once per
 * mutant would wait behind everyone else for each run. Instead the bench takes
 * the lock for a slice (LEASE_MS) and runs mutants inside it while the time
 * left covers the next one; then it lets go and queues again, so other users
 * of the lock get their turns between slices.
 *
 * The holder is `flock LOCK sh -c 'touch MARKER; exec sleep …'` in its own
 * process group, recorded in a small lease file so each mutant's command (a
 * new process) can tell whether the slice is still ours.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export const SCENARIO_LOCK = '/tmp/chaosctl-scenarios.lock';
export const LEASE_FILE_ENV = 'CHAOSCTL_MUTATION_LEASE';
/** One slice: about as long as the heavier users of the lock hold it (an end-to-end test file, a multi-scenario run). */
export const LEASE_MS = 10 * 60_000;
/** The holder keeps the lock this much past its slice, so a mutant started near the end still finishes inside it. */
const OVERRUN_MS = 2 * 60_000;

interface Lease {
  /** Process group of the holder. */
  pgid: number;
  acquiredAt: number;
  durationMs: number;
}

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function readLease(file: string): Lease | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Lease;
  } catch {
    return null;
  }
}

/** Whether a lease lets `neededMs` of work start now. Pure, for the tests. */
export function leaseCovers(lease: Pick<Lease, 'acquiredAt' | 'durationMs'>, now: number, neededMs: number): boolean {
  return now + neededMs <= lease.acquiredAt + lease.durationMs;
}

/** Lets go of the slice (if any): the lock is free for others at once. */
export function releaseLease(file: string): void {
  const lease = readLease(file);
  if (lease && alive(lease.pgid)) process.kill(-lease.pgid, 'SIGTERM');
  rmSync(file, { force: true });
}

/** Returns once this bench holds the lock with at least `neededMs` left, waiting for it when needed. */
export async function holdLease(file: string, neededMs: number): Promise<void> {
  const lease = readLease(file);
  if (lease && alive(lease.pgid) && leaseCovers(lease, Date.now(), neededMs)) return;
  releaseLease(file);
  const marker = `${file}.acquired`;
  rmSync(marker, { force: true });
  const durationMs = Math.max(LEASE_MS, neededMs);
  const holder = spawn('flock', [SCENARIO_LOCK, 'sh', '-c', `touch '${marker}'; exec sleep ${Math.ceil((durationMs + OVERRUN_MS) / 1000)}`], {
    detached: true,
    stdio: 'ignore',
  });
  holder.unref();
  const pgid = holder.pid;
  if (pgid === undefined) throw new Error('could not start flock');
  // Recorded while still waiting, so releaseLease also ends a holder that never got the lock.
  writeFileSync(file, JSON.stringify({ pgid, acquiredAt: 0, durationMs: 0 } satisfies Lease));
  while (!existsSync(marker)) {
    if (!alive(pgid)) throw new Error('flock ended before it got the lock');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  rmSync(marker, { force: true });
  writeFileSync(file, JSON.stringify({ pgid, acquiredAt: Date.now(), durationMs } satisfies Lease));
}
