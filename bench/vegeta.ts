/**
 * vegeta, the reference open-model load generator (Go, MIT): found on PATH or
 * in the cache, else built once with `go install` into the cache, as the stack
 * does for Toxiproxy. Runs one constant-rate attack and reads its JSON report.
 */
import { execFile } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { findOnPath, isExecutable, runTool } from '../cli/stack/processes.ts';

const run = promisify(execFile);

export const VEGETA_VERSION = '12.13.0';
const GO_PACKAGE = `github.com/tsenart/vegeta/v12@v${VEGETA_VERSION}`;

export interface VegetaResult {
  requests: number;
  /** Requests sent per second, as vegeta paced them. */
  rate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Share of 2xx/3xx answers, 0 – 1. */
  success: number;
}

const NS_PER_MS = 1_000_000;

/** Reads `vegeta report -type=json` (latencies in nanoseconds). */
export function parseVegetaReport(text: string): VegetaResult {
  const report = JSON.parse(text) as { latencies?: Record<string, number>; requests?: number; rate?: number; success?: number };
  const lat = report.latencies;
  const need = (key: string): number => {
    const v = lat?.[key];
    if (typeof v !== 'number') throw new Error(`vegeta report has no latencies.${key}`);
    return v / NS_PER_MS;
  };
  if (typeof report.requests !== 'number' || typeof report.rate !== 'number') throw new Error('vegeta report has no requests or rate');
  return { requests: report.requests, rate: report.rate, p50Ms: need('50th'), p95Ms: need('95th'), p99Ms: need('99th'), success: report.success ?? 0 };
}

/** ${XDG_CACHE_HOME:-~/.cache}/chaosctl/vegeta-12.13.0/vegeta */
export function cachedVegetaPath(env: NodeJS.ProcessEnv = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cacheHome, 'chaosctl', `vegeta-${VEGETA_VERSION}`, 'vegeta');
}

/** vegeta on PATH, else the cache, else built into the cache; when none can be had, the reason (the figures are then skipped with it). */
export async function resolveVegeta(progress: (line: string) => void): Promise<{ bin: string } | { missing: string }> {
  const onPath = findOnPath('vegeta', process.env.PATH);
  if (onPath) return { bin: onPath };
  const cached = cachedVegetaPath();
  if (isExecutable(cached)) return { bin: cached };
  const go = findOnPath('go', process.env.PATH);
  if (!go) return { missing: `vegeta is not on PATH and \`go\` is missing to build it (go install ${GO_PACKAGE})` };
  const cacheDir = path.dirname(cached);
  const buildDir = path.join(cacheDir, `.build-${process.pid}`);
  await mkdir(buildDir, { recursive: true });
  progress(`vegeta: building ${VEGETA_VERSION} with go install into ${cacheDir} (once)`);
  try {
    await runTool(go, ['install', GO_PACKAGE], { cwd: buildDir, env: { ...process.env, GOBIN: buildDir }, logFile: path.join(cacheDir, 'build.log'), timeoutMs: 10 * 60_000 });
    await rename(path.join(buildDir, 'vegeta'), cached);
    return { bin: cached };
  } catch (error) {
    return { missing: `go install ${GO_PACKAGE} failed: ${(error as Error).message.split('\n')[0]}` };
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
}

/** One constant-rate GET attack; results go through a file in workDir. */
export async function runVegeta(bin: string, url: string, rate: number, seconds: number, workDir: string): Promise<VegetaResult> {
  if (!/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url)) throw new Error(`refusing to load ${url}: loopback only`);
  const out = path.join(workDir, `vegeta-${rate}-${Date.now()}.bin`);
  const targets = path.join(workDir, 'vegeta-targets.txt');
  await writeFile(targets, `GET ${url}\n`);
  await run(bin, ['attack', `-rate=${rate}/s`, `-duration=${seconds}s`, `-targets=${targets}`, `-output=${out}`, '-timeout=10s'], {
    timeout: (seconds + 30) * 1000,
  });
  const { stdout } = await run(bin, ['report', '-type=json', out], { timeout: 60_000 });
  await rm(out, { force: true });
  return parseVegetaReport(stdout);
}
