/**
 * Container operations the docker stack is built from: create-or-reuse one
 * labelled container, its run state, readiness waits, and the end of its log.
 */
import type Docker from 'dockerode';
import { PACKAGE_ROOT } from '../../paths.ts';
import { httpStatus } from '../http-probe.ts';
import { canConnect } from '../postgres-cluster.ts';
import { redisAnswers } from '../redis-server.ts';
import { waitUntil } from '../processes.ts';
import type { RunState } from '../child-service.ts';
import { isNotFound, SERVICE_LABEL, STACK_LABEL } from './client.ts';
import { shortHash } from './images.ts';
import { APP_DIR, containerKey, postgresUrl } from './services.ts';
import type { ContainerSpec } from './services.ts';

/** Hash of what a container was created with; a container whose hash differs is recreated. */
export const SPEC_LABEL = 'io.chaosctl.spec';
/** The absolute state folder of the chaosctl that created a container, so `down` finds even a stack whose state file was lost. */
export const STATE_DIR_LABEL = 'io.chaosctl.state-dir';

export interface ContainerIdentity {
  stackId: string;
  stateDir: string;
}

export function containerName(stackId: string, service: string): string {
  return `chaosctl-${stackId}-${service}`;
}

export function specHash(spec: ContainerSpec, image: string): string {
  return shortHash([image, JSON.stringify(spec.cmd), JSON.stringify(Object.entries(spec.env).sort()), JSON.stringify(spec.binds)]);
}

export type ContainerState = RunState | 'missing';

export async function containerState(docker: Docker, name: string): Promise<{ state: ContainerState; id: string | null; spec: string | null; startedAt: string | null }> {
  try {
    const info = await docker.getContainer(name).inspect();
    const state: ContainerState = info.State.Paused ? 'paused' : info.State.Running ? 'running' : 'stopped';
    return { state, id: info.Id.slice(0, 12), spec: info.Config.Labels?.[SPEC_LABEL] ?? null, startedAt: info.State.StartedAt ?? null };
  } catch (error) {
    if (isNotFound(error)) return { state: 'missing', id: null, spec: null, startedAt: null };
    throw error;
  }
}

/** Creates a container for `spec` (host networking, our labels; the Node ones mount the package read-only at /app, and the spec's folders). */
export async function createContainer(docker: Docker, who: ContainerIdentity, spec: ContainerSpec, image: string): Promise<Docker.Container> {
  const node = spec.image === 'node';
  return docker.createContainer({
    name: containerName(who.stackId, containerKey(spec)),
    Image: image,
    Cmd: spec.cmd,
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { [STACK_LABEL]: who.stackId, [SERVICE_LABEL]: containerKey(spec), [SPEC_LABEL]: specHash(spec, image), [STATE_DIR_LABEL]: who.stateDir },
    ...(node ? { WorkingDir: APP_DIR } : {}),
    // `docker stop` waits this long before SIGKILL; every service here shuts down well within it.
    StopTimeout: 10,
    HostConfig: {
      // The only network: every address is 127.0.0.1 on this machine, as in local mode.
      NetworkMode: 'host',
      // An init as PID 1 forwards SIGTERM to node (and HAProxy, Redis), so `docker stop` is a clean shutdown, not a 10 s wait.
      Init: node || spec.image === 'scaleout',
      Binds: [...(node ? [`${PACKAGE_ROOT}:${APP_DIR}:ro`] : []), ...spec.binds],
    },
  });
}

/** Labels filter for every container of one stack. */
export function stackFilter(stackId: string): { label: string[] } {
  return { label: [`${STACK_LABEL}=${stackId}`] };
}

/** Last `lines` lines of a container's output (stdout and stderr), or '' when there is none. */
export async function logTail(docker: Docker, name: string, lines = 20): Promise<string> {
  try {
    const raw = (await docker.getContainer(name).logs({ stdout: true, stderr: true, tail: lines, timestamps: false, follow: false })) as unknown as Buffer;
    return demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw))).trimEnd();
  } catch {
    return '';
  }
}

/** Docker multiplexes stdout and stderr of a non-TTY container: 8-byte headers (stream, 0, 0, 0, size). */
export function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    if (stream === undefined || stream > 2 || buffer[offset + 1] !== 0) return buffer.toString('utf8');
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Time a service gets to answer after its container starts (the Node ones compile TypeScript first). */
export const READY_TIMEOUT_MS: Record<ContainerSpec['image'], number> = { postgres: 60_000, toxiproxy: 10_000, node: 30_000, scaleout: 10_000 };

/** What "answers" means per service: a PostgreSQL query, or any HTTP status on its health or status URL. */
export function readinessCheck(spec: Pick<ContainerSpec, 'service' | 'port'>): () => Promise<boolean> {
  const base = `http://127.0.0.1:${spec.port}`;
  switch (spec.service) {
    case 'postgres':
      return () => canConnect(postgresUrl(spec.port), 1000);
    case 'toxiproxy':
      return async () => (await httpStatus(`${base}/version`, 1000)) === 200;
    case 'target':
    case 'haproxy':
      return async () => (await httpStatus(`${base}/health`, 1000)) !== null;
    case 'redis':
      return () => redisAnswers(spec.port, 1000);
    case 'telegram':
    case 'yookassa':
    case 'cryptopay':
      return async () => (await httpStatus(`${base}/_sim/status`, 1000)) !== null;
  }
}

/** Waits until the service answers, giving up early when its container is no longer running. Returns whether it answered. */
export async function waitReady(docker: Docker, name: string, spec: Pick<ContainerSpec, 'service' | 'port' | 'image'>): Promise<boolean> {
  const check = readinessCheck(spec);
  let gone = false;
  const answered = await waitUntil(
    async () => {
      if (await check()) return true;
      gone = (await containerState(docker, name)).state !== 'running';
      return gone;
    },
    READY_TIMEOUT_MS[spec.image],
    100,
  );
  return answered && !gone;
}
