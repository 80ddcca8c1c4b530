/**
 * wrk, the reference closed-loop load generator (Debian package `wrk`): run it
 * against one URL and read its --latency output.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { findOnPath } from '../cli/stack/processes.ts';

const run = promisify(execFile);

export interface WrkResult {
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1.23ms" → 1.23, "850.00us" → 0.85, "2.00s" → 2000. */
export function parseWrkTime(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`not a wrk time: "${text}"`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

/** Reads the figures out of `wrk --latency` output; throws when a part is missing. */
export function parseWrkOutput(text: string): WrkResult {
  const percentile = (p: number): number => {
    const m = new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, 'm').exec(text);
    if (!m) throw new Error(`wrk output has no ${p}% latency line (was --latency given?)`);
    return parseWrkTime(m[1] as string);
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const total = /^\s*(\d+) requests in /m.exec(text);
  if (!rps || !total) throw new Error('wrk output has no "Requests/sec" or "requests in" line');
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = socket ? socket.slice(1, 5).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requests: Number(total[1]),
    requestsPerSec: Number(rps[1]),
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    errors: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
  };
}

/** wrk on PATH, or null (the figure is then skipped with the reason). */
export function findWrk(): string | null {
  return findOnPath('wrk', process.env.PATH);
}

export async function runWrk(wrk: string, url: string, connections: number, seconds: number): Promise<WrkResult> {
  if (!/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) throw new Error(`refusing to load ${url}: loopback only`);
  const { stdout } = await run(wrk, ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url], { timeout: (seconds + 30) * 1000 });
  return parseWrkOutput(stdout);
}
