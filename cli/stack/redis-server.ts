/**
 * A throwaway redis-server for a stack with several target instances: their
 * shared rate-limit store (REDIS_URL, seed B3). No persistence, loopback only,
 * started detached like the other services and stopped on `down`.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import { ChaosError } from '../core/errors.ts';
import { sleep } from './http-probe.ts';
import { findOnPath, isAlive, spawnDetached, stopProcess, tailOfFile } from './processes.ts';

/** The redis-server binary: REDIS_SERVER_BIN, else PATH, else the Debian location. */
export function findRedisServerBinary(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env.REDIS_SERVER_BIN?.trim();
  const found = explicit ? (existsSync(explicit) ? explicit : null) : (findOnPath('redis-server', env.PATH) ?? (existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : null));
  if (!found) {
    throw new ChaosError('CHAOSCTL_E_STACK_UP', {
      service: 'redis',
      detail: `instances > 1 need redis-server for the shared rate limit; ${explicit ? `REDIS_SERVER_BIN=${explicit} does not exist` : 'none on PATH or at /usr/bin/redis-server'} (apt-get install redis-server)`,
    });
  }
  return found;
}

/** redis-server renames its process to "<binary> 127.0.0.1:<port>"; this tells ours apart. */
export function redisMarker(port: number): string {
  return `redis-server 127.0.0.1:${port}`;
}

export function redisUrl(port: number): string {
  return `redis://127.0.0.1:${port}`;
}

/** Whether a Redis on 127.0.0.1:`port` answers PING with PONG within `timeoutMs`. */
export function redisAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('*1\r\n$4\r\nPING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export interface StartRedisOptions {
  binary: string;
  port: number;
  logFile: string;
  cwd: string;
}

/** redis-server's arguments for a throwaway store on 127.0.0.1:`port`: no persistence, in the foreground (local process and docker container alike). */
export function redisServerArgs(port: number): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
}

/** Starts redis-server without persistence on 127.0.0.1:`port` and waits (≤ 10 s) until it answers PING. Returns its pid. */
export async function startRedisServer(options: StartRedisOptions): Promise<number> {
  const args = [...redisServerArgs(options.port), '--dir', options.cwd];
  const pid = spawnDetached(options.binary, args, { cwd: options.cwd, env: process.env, logFile: options.logFile });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && isAlive(pid)) {
    if (await redisAnswers(options.port)) return pid;
    await sleep(100);
  }
  await stopProcess(pid, 1000).catch(() => undefined);
  const tail = await tailOfFile(options.logFile);
  throw new ChaosError('CHAOSCTL_E_STACK_UP', {
    service: 'redis',
    detail: `redis-server did not answer on 127.0.0.1:${options.port} within 10 s${tail ? `; ${options.logFile} ends with:\n${tail}` : ''}`,
  });
}
