/**
 * CPU time and memory of one process, read from /proc (Linux): the bench
 * samples the `chaosctl run` process while it drives load.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** utime + stime in clock ticks, from the text of /proc/<pid>/stat. */
export function cpuTicksOf(statText: string): number {
  // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
  const rest = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc stat line');
  return utime + stime;
}

/** A "VmRSS:   12345 kB" style field of /proc/<pid>/status, in kB; null when absent. */
export function statusKb(statusText: string, field: string): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(statusText);
  return m ? Number(m[1]) : null;
}

export interface ProcSample {
  atMs: number;
  cpuTicks: number;
  rssKb: number;
  hwmKb: number;
}

/** CPU use over [fromMs, toMs] as a percentage of one core, from the samples nearest inside it. */
export function cpuPercentBetween(samples: readonly ProcSample[], fromMs: number, toMs: number, ticksPerSecond: number): number | null {
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  const first = inside[0];
  const last = inside.at(-1);
  if (!first || !last || last.atMs <= first.atMs) return null;
  return (100 * (last.cpuTicks - first.cpuTicks)) / ticksPerSecond / ((last.atMs - first.atMs) / 1000);
}

function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** Samples pid every intervalMs until stop(); samples of a process that is gone are skipped. */
export function sampleProcess(pid: number, intervalMs = 500): { stop(): ProcSample[]; ticksPerSecond: number } {
  const samples: ProcSample[] = [];
  const take = (): void => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      samples.push({
        atMs: Date.now(),
        cpuTicks: cpuTicksOf(readFileSync(`/proc/${pid}/stat`, 'utf8')),
        rssKb: statusKb(status, 'VmRSS') ?? 0,
        hwmKb: statusKb(status, 'VmHWM') ?? 0,
      });
    } catch {
      // gone, or between exec and /proc being readable
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    ticksPerSecond: clockTicksPerSecond(),
    stop() {
      clearInterval(timer);
      return samples;
    },
  };
}
