/**
 * Scenarios through the real CLI: `chaosctl run IDS --scenarios DIR` against
 * the bench's stack (CHAOSCTL_STATE_DIR), then the journals it wrote.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Journal } from '../cli/core/journal.ts';
import type { BenchContext } from './context.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CHAOSCTL_BIN = path.join(ROOT, 'cli', 'bin', 'chaosctl.js');

export interface CliRun {
  exitCode: number | null;
  /** The last lines the run printed, to say why when it wrote no journal. */
  tail: string[];
  wallMs: number;
  journals: Journal[];
}

export interface CliRunOptions {
  /** Called with the chaosctl process id right after it is spawned (for CPU/RSS sampling). */
  onSpawn?: (pid: number) => void;
  /** Each output line of the run (progress lines are on stderr). */
  onLine?: (line: string) => void;
}

/** `chaosctl run <args> --no-dashboard --out <fresh dir>` on the bench's stack; resolves with its journals. */
export async function runChaosctl(ctx: BenchContext, args: string[], label: string, options: CliRunOptions = {}): Promise<CliRun> {
  const outDir = path.join(ctx.workDir, 'runs', `${label}-${Date.now()}`);
  const started = Date.now();
  const tail: string[] = [];
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [CHAOSCTL_BIN, 'run', ...args, '--no-dashboard', '--out', outDir], {
      cwd: ROOT,
      env: { ...process.env, CHAOSCTL_STATE_DIR: ctx.stateDir, CI: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid) options.onSpawn?.(child.pid);
    let pending = '';
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const onAbort = (): void => void child.kill('SIGINT');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve(code);
    });
  });
  const journals = await readJournals(outDir);
  if (journals.length === 0 && !ctx.signal.aborted) {
    throw new Error(`chaosctl run ${args.join(' ')} wrote no journal (exit ${exitCode}): ${tail.filter((l) => l.trim()).slice(-5).join(' | ')}`);
  }
  return { exitCode, tail, wallMs: Date.now() - started, journals };
}

async function readJournals(dir: string): Promise<Journal[]> {
  const found: Journal[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.isFile() || !entry.name.endsWith('.journal.json')) continue;
    found.push(JSON.parse(await readFile(path.join(entry.parentPath, entry.name), 'utf8')) as Journal);
  }
  return found;
}
