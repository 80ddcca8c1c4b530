/**
 * The docker stack: the same services as the local stack (PostgreSQL,
 * Toxiproxy, the three simulators, the target; with several target instances
 * also HAProxy in front of them and a Redis they share), each a container created
 * through Dockerode on the host network and labelled with the stack's id, so
 * `down` and `recover` find exactly what chaosctl created. What runs is recorded
 * in <stateDir>/docker-stack.json; service faults are container operations.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import { ChaosError } from '../core/errors.ts';
import { stateDir } from '../paths.ts';
import { dockerClient, requireDaemon, SERVICE_LABEL, STACK_LABEL } from './docker/client.ts';
import { containerName, containerState, createContainer, logTail, specHash, stackFilter, STATE_DIR_LABEL, waitReady } from './docker/containers.ts';
import type { ContainerIdentity } from './docker/containers.ts';
import { ensureImages } from './docker/images.ts';
import type { StackImages } from './docker/images.ts';
import { containerKey, containerSpecs, postgresUrl, proxiesFor } from './docker/services.ts';
import type { ContainerSpec, DockerPorts } from './docker/services.ts';
import { readDockerState, removeDockerState, writeDockerState } from './docker/state.ts';
import type { DockerStackState } from './docker/state.ts';
import { DockerServiceControl } from './docker/service-control.ts';
import { freePort } from './free-port.ts';
import { httpStatus } from './http-probe.ts';
import { waitUntil } from './processes.ts';
import { PROXIED_DEPENDENCIES } from './proxied-dependencies.ts';
import { newSecrets, SIM_NAMES } from './simulators.ts';
import { ensureStackTls, removeStackTls, stackTlsFiles } from './stack-tls.ts';
import { allOf } from './service-group.ts';
import { MAX_INSTANCES, normalizeTargetConfig } from './target-config.ts';
import { syncProxies, toxiproxyUrl } from './toxiproxy-server.ts';
import type { ServiceControl, ServiceName, ServiceStatus, StackEndpoints, StackProvider, TargetConfig } from './types.ts';

type Progress = (line: string) => void;

/** How long `up` waits for a target that answers to also report healthy (as local mode does). */
const TARGET_READY_WAIT_MS = 10_000;

export interface DockerStackOptions {
  /** Where docker-stack.json lives; stateDir() (read at each call) when left out. */
  stateDir?: string;
  docker?: Docker;
  /** Image tags to run instead of building/looking up the offline ones (tests). */
  images?: StackImages;
}

export class DockerStack implements StackProvider {
  readonly mode = 'docker' as const;
  /** Several target containers run behind an HAProxy container, sharing a Redis container, as in local mode. */
  readonly maxInstances = MAX_INSTANCES;
  private readonly options: DockerStackOptions;
  private readonly docker: Docker;

  constructor(options: DockerStackOptions = {}) {
    this.options = options;
    this.docker = options.docker ?? dockerClient();
  }

  async up(config: TargetConfig, progress: Progress = () => undefined): Promise<StackEndpoints> {
    await requireDaemon(this.docker);
    const images = this.options.images ?? (await ensureImages(this.docker, progress));
    const dir = this.dir();
    const target = normalizeTargetConfig(config, 'docker');
    const previous = await readDockerState(dir);
    const state: DockerStackState = previous
      ? { ...previous, images, target }
      : { version: 1, stackId: randomBytes(4).toString('hex'), ports: await allocatePorts(), secrets: newSecrets(), images, target };
    await reserveScaleOut(state, target.instances ?? 1);
    // Recorded before any container exists, so `down` can find whatever a failed `up` leaves.
    await writeDockerState(dir, state);
    const who: ContainerIdentity = { stackId: state.stackId, stateDir: dir };
    // The docker stack's own certificates (a local stack in the same state folder keeps its own).
    await ensureStackTls(this.tlsStateDir());
    const specs = this.specs(state);
    // First what this configuration no longer has (HAProxy and instance 2 when going back to one): HAProxy holds the target port.
    await this.removeUnwanted(state.stackId, specs, progress);
    const bring = (spec: ContainerSpec): Promise<void> => this.ensureContainer(who, spec, images[spec.image], progress);
    // PostgreSQL, the simulators and Redis depend on nothing: they start together (each Node one spends seconds compiling).
    const later = new Set(['toxiproxy', 'target', 'haproxy']);
    await Promise.all(specs.filter((s) => !later.has(s.service)).map(bring));
    await bring(this.spec(specs, 'toxiproxy'));
    await this.syncProxies(state, progress);
    // Instances side by side (migrations take turns on an advisory lock), then HAProxy in front of them.
    await Promise.all(specs.filter((s) => s.service === 'target').map(bring));
    await Promise.all(specs.filter((s) => s.service === 'haproxy').map(bring));
    // Answering is not ready: the target migrates and starts its scheduler after it listens.
    await waitUntil(async () => (await httpStatus(`http://127.0.0.1:${state.ports.target}/health`, 1000)) === 200, TARGET_READY_WAIT_MS, 100);
    return endpointsOf(state);
  }

  async down(progress: Progress = () => undefined): Promise<void> {
    const dir = this.dir();
    const state = await readDockerState(dir);
    await requireDaemon(this.docker);
    // Every container this state folder ever created, also those of a stack whose state file was lost.
    const ours = await this.docker.listContainers({ all: true, filters: { label: [`${STATE_DIR_LABEL}=${dir}`] } });
    if (!state && ours.length === 0) {
      progress('no docker stack recorded; nothing to stop');
      return;
    }
    const failures: string[] = [];
    for (const info of ours) {
      const name = info.Names[0]?.replace(/^\//, '') ?? info.Id.slice(0, 12);
      try {
        await this.docker.getContainer(info.Id).remove({ force: true, v: true });
        progress(`${info.Labels[STACK_LABEL] === state?.stackId ? '' : 'leftover '}container ${name}: removed`);
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(`could not remove every container of the docker stack:\n${failures.join('\n')}`);
    await removeStackTls(this.tlsStateDir());
    await removeDockerState(dir);
  }

  async status(): Promise<ServiceStatus[]> {
    const state = await readDockerState(this.dir());
    const order: ServiceName[] = ['postgres', 'toxiproxy', ...SIM_NAMES, 'target'];
    if (!state) return order.map((name) => ({ name, running: false, detail: 'no docker stack; `chaosctl up --stack docker` starts one' }));
    await requireDaemon(this.docker);
    const specs = this.specs(state);
    const result: ServiceStatus[] = [];
    for (const name of order) {
      // The target's row covers every container serving it: its instances, and HAProxy and Redis with several.
      const mine = specs.filter((s) => s.service === name || (name === 'target' && (s.service === 'haproxy' || s.service === 'redis')));
      const lines: string[] = [];
      let running = mine.length > 0;
      for (const spec of mine) {
        const container = containerName(state.stackId, containerKey(spec));
        const now = await containerState(this.docker, container);
        running &&= now.state === 'running';
        lines.push(`container ${container}${now.id ? ` (${now.id})` : ''} ${now.state}, 127.0.0.1:${spec.port}, image ${state.images[spec.image] || '?'}`);
      }
      result.push({ name, running, detail: lines.join('; ') || 'no container' });
    }
    return result;
  }

  async endpoints(): Promise<StackEndpoints | null> {
    const state = await readDockerState(this.dir());
    return state ? endpointsOf(state) : null;
  }

  /** `instance` picks one target container when the target runs as several; without it a fault acts on every instance. */
  service(name: ServiceName, instance?: number): ServiceControl {
    if (instance !== undefined && name !== 'target') {
      throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: `instance ${instance} of ${name}`, detail: 'only the target runs as several instances' });
    }
    if (name !== 'target' || instance !== undefined) return this.containerControl(name, instance);
    return allOf(async () => {
      const state = await readDockerState(this.dir());
      const count = state?.target.instances ?? 1;
      return Array.from({ length: count }, (_, i) => this.containerControl('target', count > 1 ? i + 1 : undefined));
    });
  }

  private containerControl(name: ServiceName, instance: number | undefined): ServiceControl {
    return new DockerServiceControl(this.docker, name, async () => {
      const state = await readDockerState(this.dir());
      if (!state) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
      const specs = this.specs(state);
      // Instance 1 of a target that runs as one is that one target.
      const spec = specs.find((s) => s.service === name && (instance === undefined || (s.instance ?? 1) === instance));
      if (!spec) {
        if (instance !== undefined) {
          const count = state.target.instances ?? 1;
          throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: `a fault on target instance ${instance}`, detail: `the target runs ${count} instance${count === 1 ? '' : 's'}` });
        }
        throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
      }
      return {
        spec,
        name: containerName(state.stackId, containerKey(spec)),
        create: () => createContainer(this.docker, { stackId: state.stackId, stateDir: this.dir() }, spec, state.images[spec.image]),
        afterStart: name === 'toxiproxy' ? () => this.syncProxies(state, () => undefined) : null,
      };
    });
  }

  /** The last lines of each container's output, secrets masked; for the journal of a scenario that errored. */
  async logTails(lines = 20): Promise<Record<string, string>> {
    const state = await readDockerState(this.dir());
    if (!state) return {};
    const secrets = Object.values(state.secrets);
    const tails: Record<string, string> = {};
    for (const spec of this.specs(state)) {
      const name = containerName(state.stackId, containerKey(spec));
      let text = await logTail(this.docker, name, lines);
      for (const secret of secrets) text = text.split(secret).join('***');
      tails[name] = text;
    }
    return tails;
  }

  private dir(): string {
    return this.options.stateDir ?? stateDir();
  }

  /** <stateDir>/docker: its tls/ folder holds the certificates the containers mount. */
  private tlsStateDir(): string {
    return path.join(this.dir(), 'docker');
  }

  private specs(state: DockerStackState): ContainerSpec[] {
    return containerSpecs(state.ports, state.secrets, state.target, stackTlsFiles(this.tlsStateDir()).dir);
  }

  private spec(specs: readonly ContainerSpec[], service: ContainerSpec['service']): ContainerSpec {
    const found = specs.find((s) => s.service === service);
    if (!found) throw new Error(`the docker stack has no ${service} container`);
    return found;
  }

  /** Removes this stack's containers that `specs` does not name (found by label). */
  private async removeUnwanted(stackId: string, specs: readonly ContainerSpec[], progress: Progress): Promise<void> {
    const wanted = new Set(specs.map(containerKey));
    for (const info of await this.docker.listContainers({ all: true, filters: stackFilter(stackId) })) {
      const key = info.Labels[SERVICE_LABEL] ?? '';
      if (wanted.has(key)) continue;
      await this.docker.getContainer(info.Id).remove({ force: true, v: true });
      progress(`${key}: not part of this configuration; removed container ${info.Names[0]?.replace(/^\//, '') ?? info.Id.slice(0, 12)}`);
    }
  }

  private async ensureContainer(who: ContainerIdentity, spec: ContainerSpec, image: string, progress: Progress): Promise<void> {
    const label = containerKey(spec);
    const name = containerName(who.stackId, label);
    let current = await containerState(this.docker, name);
    if (current.state !== 'missing' && current.spec !== specHash(spec, image)) {
      progress(`${label}: its configuration or image changed; recreating container ${name}`);
      await this.docker.getContainer(name).remove({ force: true, v: true });
      current = { state: 'missing', id: null, spec: null, startedAt: null };
    }
    const t0 = Date.now();
    let did: string;
    switch (current.state) {
      case 'missing':
        await (await createContainer(this.docker, who, spec, image)).start();
        did = 'created and started';
        break;
      case 'paused':
        await this.docker.getContainer(name).unpause();
        did = 'unpaused';
        break;
      case 'stopped':
        await this.docker.getContainer(name).start();
        did = 'started';
        break;
      case 'running':
        did = 'reusing';
    }
    if (!(await waitReady(this.docker, name, spec))) {
      const tail = await logTail(this.docker, name);
      throw new ChaosError('CHAOSCTL_E_STACK_UP', {
        service: label,
        detail: `container ${name} did not answer on 127.0.0.1:${spec.port}${tail ? `; its log ends with:\n${tail}` : ''}`,
      });
    }
    const took = did === 'reusing' ? '' : ` in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    progress(`${label}: ${did} container ${name} on 127.0.0.1:${spec.port}${took}`);
  }

  private async syncProxies(state: DockerStackState, progress: Progress): Promise<void> {
    const proxies = Object.values(proxiesFor(state.ports));
    try {
      await syncProxies(state.ports.toxiproxy, proxies);
    } catch (error) {
      throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'toxiproxy', detail: `could not create its proxies: ${(error as Error).message}` }, { cause: error });
    }
    for (const proxy of proxies) progress(`toxiproxy: proxy ${proxy.name} ${proxy.listen} → ${proxy.upstream}`);
  }
}

async function allocatePorts(): Promise<DockerPorts> {
  const proxies: Record<string, number> = {};
  for (const dependency of PROXIED_DEPENDENCIES) proxies[dependency.name] = await freePort();
  return {
    postgres: await freePort(),
    toxiproxy: await freePort(),
    target: await freePort(),
    telegram: await freePort(),
    yookassa: await freePort(),
    cryptopay: await freePort(),
    proxies,
  };
}

/** Ports for each instance and for Redis, and a webhook secret, the first time the target runs as `count` > 1 instances (kept after). */
async function reserveScaleOut(state: DockerStackState, count: number): Promise<void> {
  if (count <= 1) return;
  const ports = state.ports;
  const taken = new Set([ports.postgres, ports.toxiproxy, ports.target, ports.telegram, ports.yookassa, ports.cryptopay, ...Object.values(ports.proxies), ...(ports.instances ?? [])]);
  // A port free right now may still be one this stack recorded for a container that is not running.
  const fresh = async (): Promise<number> => {
    const port = await freePort(taken);
    taken.add(port);
    return port;
  };
  const instances = [...(ports.instances ?? [])];
  while (instances.length < count) instances.push(await fresh());
  ports.instances = instances;
  ports.redis ??= await fresh();
  state.secrets.webhookSecret ??= randomBytes(24).toString('hex');
}

function endpointsOf(state: DockerStackState): StackEndpoints {
  const { ports, secrets } = state;
  return {
    targetUrl: `http://127.0.0.1:${ports.target}`,
    toxiproxyUrl: toxiproxyUrl(ports.toxiproxy),
    databaseUrl: postgresUrl(ports.postgres),
    proxies: proxiesFor(ports),
    sims: Object.fromEntries(SIM_NAMES.map((name) => [name, `http://127.0.0.1:${ports[name]}`])),
    ...((state.target.instances ?? 1) > 1 ? { targetInstanceUrls: (ports.instances ?? []).slice(0, state.target.instances).map((port) => `http://127.0.0.1:${port}`) } : {}),
    controlToken: secrets.controlToken,
    secrets: { yookassaShopId: secrets.yookassaShopId, yookassaSecretKey: secrets.yookassaSecretKey, cryptopayToken: secrets.cryptopayToken },
  };
}
