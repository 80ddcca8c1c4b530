/** Running the Toxiproxy server and keeping its proxies as the stack wants them. */
import { Toxiproxy } from 'toxiproxy-node-client';
import { ChaosError } from '../core/errors.ts';
import type { ProxyEndpoint } from './types.ts';
import { httpStatus, waitForHttp } from './http-probe.ts';
import { isAlive, spawnDetached, stopProcess, tailOfFile } from './processes.ts';

export interface StartToxiproxyOptions {
  binary: string;
  port: number;
  logFile: string;
  cwd: string;
}

export function toxiproxyUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Starts the server on 127.0.0.1:`port` and waits until GET /version answers. Returns its pid. */
export async function startToxiproxyServer(options: StartToxiproxyOptions): Promise<number> {
  const pid = spawnDetached(options.binary, ['-host', '127.0.0.1', '-port', String(options.port)], {
    cwd: options.cwd,
    env: process.env,
    logFile: options.logFile,
  });
  const status = await waitForHttp(`${toxiproxyUrl(options.port)}/version`, { timeoutMs: 10_000, stillAlive: () => isAlive(pid) });
  if (status !== 200) {
    await stopProcess(pid, 1000).catch(() => undefined);
    const tail = await tailOfFile(options.logFile);
    throw new ChaosError('CHAOSCTL_E_STACK_UP', {
      service: 'toxiproxy',
      detail: `${options.binary} did not answer on ${toxiproxyUrl(options.port)}/version within 10 s${tail ? `; ${options.logFile} ends with:\n${tail}` : ''}`,
    });
  }
  return pid;
}

export async function toxiproxyAnswers(port: number): Promise<boolean> {
  return (await httpStatus(`${toxiproxyUrl(port)}/version`, 1000)) === 200;
}

/**
 * Makes each wanted proxy exist, enabled, with the given listen and upstream
 * addresses. Toxics already on a proxy are left alone (faults own them).
 * Proxy.update needs all three fields with toxiproxy-node-client 4.1.
 */
export async function syncProxies(port: number, wanted: readonly ProxyEndpoint[]): Promise<void> {
  const client = new Toxiproxy(toxiproxyUrl(port));
  const existing = await client.getAll();
  for (const proxy of wanted) {
    const current = existing[proxy.name];
    if (!current) {
      await client.createProxy({ name: proxy.name, listen: proxy.listen, upstream: proxy.upstream, enabled: true });
    } else if (current.listen !== proxy.listen || current.upstream !== proxy.upstream || !current.enabled) {
      await current.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    }
  }
}
