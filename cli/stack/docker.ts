/**
 * The docker stack: the same services as the local stack (PostgreSQL,
 * Toxiproxy, the three simulators, the target), each a container created
 * through Dockerode on the host network and labelled with the stack's id, so
 * `down` and `recover` find exactly what chaosctl created. What runs is recorded
 * in <stateDir>/docker-stack.json; service faults are container operations.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Docker from 'dockerode';
import { ChaosError } from '../core/errors.ts';
import { stateDir } from '../paths.ts';
import { dockerClient, requireDaemon, STACK_LABEL } from './docker/client.ts';
import { containerName, containerState, createContainer, logTail, specHash, STATE_DIR_LABEL, waitReady } from './docker/containers.ts';
import type { ContainerIdentity } from './docker/containers.ts';
import { ensureImages } from './docker/images.ts';
import type { StackImages } from './docker/images.ts';
import { containerSpecs, postgresUrl, proxiesFor } from './docker/services.ts';
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
  /** One target container: HAProxy and Redis for several are local mode only, for now (docs/docker.md). */
  readonly maxInstances = 1;
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
    const target = normalizeConfig(config);
    const previous = await readDockerState(dir);
    const state: DockerStackState = previous
      ? { ...previous, images, target }
      : { version: 1, stackId: randomBytes(4).toString('hex'), ports: await allocatePorts(), secrets: newSecrets(), images, target };
    // Recorded before any container exists, so `down` can find whatever a failed `up` leaves.
    await writeDockerState(dir, state);
    const who: ContainerIdentity = { stackId: state.stackId, stateDir: dir };
    // The docker stack's own certificates (a local stack in the same state folder keeps its own).
    await ensureStackTls(this.tlsStateDir());
    const specs = this.specs(state);
    const bring = (spec: ContainerSpec): Promise<void> => this.ensureContainer(who, spec, images[spec.image], progress);
    // PostgreSQL and the simulators depend on nothing: they start together (each Node one spends seconds compiling).
    await Promise.all(specs.filter((s) => s.service !== 'toxiproxy' && s.service !== 'target').map(bring));
    for (const spec of specs.filter((s) => s.service === 'toxiproxy' || s.service === 'target')) {
      await bring(spec);
      if (spec.service === 'toxiproxy') await this.syncProxies(state, progress);
    }
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
    const specs = new Map(this.specs(state).map((s) => [s.service, s]));
    const result: ServiceStatus[] = [];
    for (const name of order) {
      const spec = specs.get(name);
      const container = containerName(state.stackId, name);
      const now = await containerState(this.docker, container);
      const image = spec ? state.images[spec.image] : '?';
      result.push({
        name,
        running: now.state === 'running',
        detail: `container ${container}${now.id ? ` (${now.id})` : ''} ${now.state}, 127.0.0.1:${spec?.port ?? '?'}, image ${image}`,
      });
    }
    return result;
  }

  async endpoints(): Promise<StackEndpoints | null> {
    const state = await readDockerState(this.dir());
    return state ? endpointsOf(state) : null;
  }

  service(name: ServiceName): ServiceControl {
    return new DockerServiceControl(this.docker, name, async () => {
      const state = await readDockerState(this.dir());
      if (!state) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
      const spec = this.specs(state).find((s) => s.service === name);
      if (!spec) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
      return {
        spec,
        name: containerName(state.stackId, name),
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
      const name = containerName(state.stackId, spec.service);
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

  private async ensureContainer(who: ContainerIdentity, spec: ContainerSpec, image: string, progress: Progress): Promise<void> {
    const name = containerName(who.stackId, spec.service);
    let current = await containerState(this.docker, name);
    if (current.state !== 'missing' && current.spec !== specHash(spec, image)) {
      progress(`${spec.service}: its configuration or image changed; recreating container ${name}`);
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
        service: spec.service,
        detail: `container ${name} did not answer on 127.0.0.1:${spec.port}${tail ? `; its log ends with:\n${tail}` : ''}`,
      });
    }
    const took = did === 'reusing' ? '' : ` in ${((Date.now() - t0) / 1000).toFixed(1)} s`;
    progress(`${spec.service}: ${did} container ${name} on 127.0.0.1:${spec.port}${took}`);
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

/** Sorted, de-duplicated sabotage and sorted env keys, so equal configurations give equal containers. */
function normalizeConfig(config: TargetConfig): TargetConfig {
  const env: Record<string, string> = {};
  for (const key of Object.keys(config.env).sort()) {
    const value = config.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { env, sabotage: [...new Set(config.sabotage)].sort() };
}

function endpointsOf(state: DockerStackState): StackEndpoints {
  const { ports, secrets } = state;
  return {
    targetUrl: `http://127.0.0.1:${ports.target}`,
    toxiproxyUrl: toxiproxyUrl(ports.toxiproxy),
    databaseUrl: postgresUrl(ports.postgres),
    proxies: proxiesFor(ports),
    sims: Object.fromEntries(SIM_NAMES.map((name) => [name, `http://127.0.0.1:${ports[name]}`])),
    controlToken: secrets.controlToken,
    secrets: { yookassaShopId: secrets.yookassaShopId, yookassaSecretKey: secrets.yookassaSecretKey, cryptopayToken: secrets.cryptopayToken },
  };
}
