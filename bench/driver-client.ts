/** Runs chaosctl's HTTP load driver in its own process (bench/driver-process.ts) and returns its record. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadRecord } from '../cli/core/journal.ts';
import type { HttpLoadSpec } from '../cli/drivers/load/http.ts';
import type { DriverJob } from './driver-process.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * @param onStarted called once the driver has begun sending (after the child's start-up),
 *   so a fault can be timed against the load rather than against the spawn
 */
export function runDriverProcess(targetUrl: string, spec: HttpLoadSpec, durationMs: number, onStarted?: () => void): Promise<LoadRecord> {
  const job: DriverJob = { targetUrl, spec, durationMs };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'driver-process.ts'), JSON.stringify(job)], {
      cwd: path.resolve(HERE, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      const before = stderr;
      stderr += chunk.toString();
      if (!before.includes('started\n') && stderr.includes('started\n')) onStarted?.();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`driver process exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as LoadRecord);
      } catch (error) {
        reject(new Error(`driver process printed no record: ${(error as Error).message}`));
      }
    });
  });
}

/** The HTTP load spec a scenario would give for GET path at rate over connections. */
export function httpSpec(pathName: string, rate: number, connections: number): HttpLoadSpec {
  return { driver: 'http', path: pathName, method: 'GET', rate, connections, timeout: '10s' };
}
