/**
 * A throwaway redis-server on a free loopback port, for the tests of the shared rate
 * limit (B3). Tests skip only outside CI when redis-server is not installed; CI
 * installs it and never skips.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort } from '../../../cli/stack/free-port.ts';

export interface RunningRedis {
  port: number;
  child: ChildProcess;
  /** SIGTERM, and wait for the exit. Safe to call twice. */
  stop(): Promise<void>;
}

export function findRedisServer(): string | null {
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (existsSync(candidate)) return candidate;
  return null;
}

/** The `skip` option of a test that needs redis-server: never in CI. */
export function skipWithoutRedis(binary: string | null): false | string {
  return binary || process.env.CI === 'true' ? false : 'redis-server is not installed (CI installs it and never skips)';
}

/**
 * Starts redis-server (no persistence) and resolves once it accepts connections (at most
 * 5 s). `port` restarts one on the port a stopped one had.
 */
export async function startRedis(binary: string, port?: number): Promise<RunningRedis> {
  port ??= await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start within 5 s')), 5000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}`));
    });
  });
  return {
    port,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
