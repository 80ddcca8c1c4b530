/** Spawns the real chaosctl binary for end-to-end tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { after } from 'node:test';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../cli/paths.ts';

export const BIN = path.join(PACKAGE_ROOT, 'cli', 'bin', 'chaosctl.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const roots: string[] = [];
after(() => {
  for (const root of roots) {
    // A stack a test left up (a failed assertion before its own `down`) is taken down before its state goes.
    const stateDir = path.join(root, 'state');
    if (existsSync(path.join(stateDir, 'stack.json'))) {
      spawnSync(process.execPath, [BIN, 'down'], { cwd: PACKAGE_ROOT, env: { ...process.env, CHAOSCTL_STATE_DIR: stateDir }, stdio: 'ignore', timeout: 60_000 });
    }
    if (existsSync(path.join(stateDir, 'docker-stack.json'))) {
      spawnSync(process.execPath, [BIN, 'down', '--stack', 'docker'], { cwd: PACKAGE_ROOT, env: { ...process.env, CHAOSCTL_STATE_DIR: stateDir }, stdio: 'ignore', timeout: 60_000 });
    }
    rmSync(root, { recursive: true, force: true });
  }
});

/** A fresh state folder and output folder, so each test has its own stack; removed when the file's tests end. */
export function isolatedEnv(): { env: NodeJS.ProcessEnv; stateDir: string; outDir: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-e2e-'));
  roots.push(root);
  const stateDir = path.join(root, 'state');
  const outDir = path.join(root, 'out');
  const env: NodeJS.ProcessEnv = { ...process.env, CHAOSCTL_STATE_DIR: stateDir };
  delete env.DATABASE_URL;
  return { env, stateDir, outDir };
}

export interface Spawned {
  child: ChildProcess;
  /** Resolves when stderr has printed text matching the pattern (bounded by timeoutMs). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  result: Promise<CliResult>;
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: PACKAGE_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...watchers]) {
      if (w.pattern.test(stderr)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const result = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    result,
    waitFor(pattern, waitMs) {
      if (pattern.test(stderr)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern} in:\n${stderr}`)), waitMs);
        watchers.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        void result.then(() => {
          clearTimeout(timer);
          if (!pattern.test(stderr)) reject(new Error(`chaosctl ended before ${pattern} appeared:\n${stderr}`));
        });
      });
    },
  };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<CliResult> {
  return spawnCli(args, env, timeoutMs).result;
}
