/**
 * Service faults in docker mode are container operations: `docker stop`,
 * `start`, `restart`, `pause`/`unpause`, `kill`. Each waits until the container
 * is in the state asked for (and, when it runs again, until the service answers).
 */
import type Docker from 'dockerode';
import { ChaosError } from '../../core/errors.ts';
import { waitUntil } from '../processes.ts';
import type { ServiceControl, ServiceName } from '../types.ts';
import { isNotModified } from './client.ts';
import { containerState, logTail, waitReady } from './containers.ts';
import type { ContainerSpec } from './services.ts';

export interface ServiceContainer {
  spec: ContainerSpec;
  name: string;
  /** Creates the container again (when something removed it). */
  create: () => Promise<Docker.Container>;
  /** Runs after the container is up again (Toxiproxy loses its proxies on restart). */
  afterStart: (() => Promise<void>) | null;
}

/** The Docker operation each fault action is, for people reading the journal. */
export const DOCKER_OPERATION: Record<'stop' | 'restart' | 'pause' | 'kill', string> = {
  stop: 'docker stop',
  restart: 'docker restart',
  pause: 'docker pause',
  kill: 'docker kill --signal SIGKILL',
};

export class DockerServiceControl implements ServiceControl {
  private readonly docker: Docker;
  private readonly service: ServiceName;
  private readonly load: () => Promise<ServiceContainer>;
  private last: string | undefined;

  constructor(docker: Docker, service: ServiceName, load: () => Promise<ServiceContainer>) {
    this.docker = docker;
    this.service = service;
    this.load = load;
  }

  /** "container chaosctl-1a2b3c4d-postgres: docker stop at 2026-12-04T18:40:01.123Z", for the journal. */
  get lastOperation(): string | undefined {
    return this.last;
  }

  private did(c: ServiceContainer, operation: string, at: Date): void {
    this.last = `container ${c.name}: ${operation} at ${at.toISOString()}`;
  }

  async stop(): Promise<void> {
    const c = await this.load();
    const now = await containerState(this.docker, c.name);
    if (now.state === 'missing' || now.state === 'stopped') return;
    if (now.state === 'paused') await this.docker.getContainer(c.name).unpause();
    const at = new Date();
    await ignoreNotModified(this.docker.getContainer(c.name).stop());
    this.did(c, DOCKER_OPERATION.stop, at);
  }

  async start(): Promise<void> {
    await this.ensureRunning();
  }

  async restart(): Promise<void> {
    const c = await this.load();
    const now = await containerState(this.docker, c.name);
    if (now.state === 'paused') await this.docker.getContainer(c.name).unpause();
    if (now.state === 'missing') await c.create();
    const at = new Date();
    await this.docker.getContainer(c.name).restart();
    this.did(c, DOCKER_OPERATION.restart, at);
    await this.ready(c);
  }

  async pause(): Promise<void> {
    const c = await this.load();
    const now = await containerState(this.docker, c.name);
    if (now.state === 'paused') return;
    if (now.state !== 'running') throw new Error(`container ${c.name} is ${now.state}; only a running container can be paused`);
    const at = new Date();
    await this.docker.getContainer(c.name).pause();
    this.did(c, DOCKER_OPERATION.pause, at);
  }

  async resume(): Promise<void> {
    const c = await this.load();
    if ((await containerState(this.docker, c.name)).state !== 'paused') return;
    const at = new Date();
    await this.docker.getContainer(c.name).unpause();
    this.did(c, 'docker unpause', at);
  }

  async kill(): Promise<void> {
    const c = await this.load();
    const now = await containerState(this.docker, c.name);
    if (now.state === 'missing' || now.state === 'stopped') return;
    if (now.state === 'paused') await this.docker.getContainer(c.name).unpause();
    const at = new Date();
    await ignoreNotModified(this.docker.getContainer(c.name).kill({ signal: 'SIGKILL' }));
    this.did(c, DOCKER_OPERATION.kill, at);
    const down = await waitUntil(async () => (await containerState(this.docker, c.name)).state === 'stopped', 10_000, 50);
    if (!down) throw new Error(`container ${c.name} still runs after SIGKILL`);
  }

  async isRunning(): Promise<boolean> {
    try {
      const c = await this.load();
      return (await containerState(this.docker, c.name)).state === 'running';
    } catch (error) {
      if (error instanceof ChaosError && error.code === 'CHAOSCTL_E_STACK_DOWN') return false;
      throw error;
    }
  }

  async ensureRunning(): Promise<void> {
    const c = await this.load();
    const now = await containerState(this.docker, c.name);
    const at = new Date();
    switch (now.state) {
      case 'running':
        // Running but maybe not answering yet (just restarted by a fault): wait for it.
        this.did(c, 'already running (no docker operation)', at);
        break;
      case 'paused':
        await this.docker.getContainer(c.name).unpause();
        this.did(c, 'docker unpause', at);
        break;
      case 'stopped':
        await ignoreNotModified(this.docker.getContainer(c.name).start());
        this.did(c, 'docker start', at);
        break;
      case 'missing':
        await (await c.create()).start();
        this.did(c, 'docker create + docker start (it had been removed)', at);
        break;
    }
    await this.ready(c);
  }

  private async ready(c: ServiceContainer): Promise<void> {
    if (!(await waitReady(this.docker, c.name, c.spec))) {
      const tail = await logTail(this.docker, c.name);
      throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: this.service, detail: `container ${c.name} does not answer on 127.0.0.1:${c.spec.port}${tail ? `; its log ends with:\n${tail}` : ''}` });
    }
    if (c.afterStart) await c.afterStart();
  }
}

async function ignoreNotModified(operation: Promise<unknown>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (!isNotModified(error)) throw error;
  }
}
