/**
 * What each container of the docker stack runs: image, command and
 * environment, derived from the same pieces as the local stack (secrets,
 * simulator env, proxies, target defaults). docker/compose.yaml describes the
 * same services for a machine with a registry; a test keeps the two in step.
 */
import { PROXIED_DEPENDENCIES, proxyEnvFor } from '../proxied-dependencies.ts';
import type { Upstreams } from '../proxied-dependencies.ts';
import { SIM_NAMES, simEnv, TARGET_DEFAULT_ENV, targetSecretEnv } from '../simulators.ts';
import type { SimName, StackSecrets } from '../simulators.ts';
import type { ProxyEndpoint, ServiceName, TargetConfig } from '../types.ts';

export type ImageRole = 'postgres' | 'toxiproxy' | 'node';

/** Where each service listens on 127.0.0.1 (host networking), and where each proxy does. */
export interface DockerPorts {
  postgres: number;
  toxiproxy: number;
  target: number;
  telegram: number;
  yookassa: number;
  cryptopay: number;
  /** Listen port of each Toxiproxy proxy, by dependency name. */
  proxies: Record<string, number>;
}

export interface ContainerSpec {
  service: ServiceName;
  image: ImageRole;
  /** Arguments after the image's entrypoint (postgres, toxiproxy) or the whole command (node). */
  cmd: string[];
  env: Record<string, string>;
  /** The port that tells whether the service is up. */
  port: number;
}

/** Services in the order they start: dependencies first, the target last. */
export const START_ORDER: readonly ServiceName[] = ['postgres', ...SIM_NAMES, 'toxiproxy', 'target'];

/** Inside the Node image the package is mounted (or copied, in docker/Dockerfile) at /app. */
export const APP_DIR = '/app';

export function postgresUrl(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

export function upstreamsFor(ports: DockerPorts): Upstreams {
  const sims: NonNullable<Upstreams['sims']> = {};
  for (const name of SIM_NAMES) sims[name] = `127.0.0.1:${ports[name]}`;
  return { postgresUrl: postgresUrl(ports.postgres), sims };
}

/** The proxies Toxiproxy runs: one per dependency, on the recorded listen ports. */
export function proxiesFor(ports: DockerPorts): Record<string, ProxyEndpoint> {
  const upstreams = upstreamsFor(ports);
  const proxies: Record<string, ProxyEndpoint> = {};
  for (const dependency of PROXIED_DEPENDENCIES) {
    const upstream = dependency.upstream(upstreams);
    const listenPort = ports.proxies[dependency.name];
    if (upstream === null || listenPort === undefined) continue;
    proxies[dependency.name] = { name: dependency.name, listen: `127.0.0.1:${listenPort}`, upstream };
  }
  return proxies;
}

/** The target's environment: defaults, the scenario's overrides, then what the stack owns (proxies, secrets, port). */
export function targetEnv(ports: DockerPorts, secrets: StackSecrets, config: TargetConfig): Record<string, string> {
  // The containers get no per-stack certificate yet (local mode makes one in its state folder), so
  // in docker mode the target speaks plain HTTP to the simulators; they answer both on one port.
  const proxyEnv = Object.fromEntries(
    Object.entries(proxyEnvFor(proxiesFor(ports), upstreamsFor(ports))).map(([name, value]) => [name, value.replace(/^https:\/\//, 'http://')]),
  );
  return {
    ...TARGET_DEFAULT_ENV,
    ...config.env,
    ...proxyEnv,
    ...targetSecretEnv(secrets),
    PORT: String(ports.target),
    HOST: '127.0.0.1',
    CHAOSCTL_SABOTAGE: config.sabotage.join(','),
  };
}

export function simContainer(name: SimName, ports: DockerPorts, secrets: StackSecrets): ContainerSpec {
  return {
    service: name,
    image: 'node',
    cmd: ['node', '--import', 'tsx', `target/sims/${name}/main.ts`],
    env: simEnv(name, ports[name], secrets, `http://127.0.0.1:${ports.target}`),
    port: ports[name],
  };
}

/** Every container of a stack with these ports, secrets and target configuration, in start order. */
export function containerSpecs(ports: DockerPorts, secrets: StackSecrets, config: TargetConfig): ContainerSpec[] {
  return START_ORDER.map((service): ContainerSpec => {
    switch (service) {
      case 'postgres':
        return { service, image: 'postgres', cmd: [], env: { PGPORT: String(ports.postgres), POSTGRES_HOST_AUTH_METHOD: 'trust' }, port: ports.postgres };
      case 'toxiproxy':
        return { service, image: 'toxiproxy', cmd: ['-host', '127.0.0.1', '-port', String(ports.toxiproxy)], env: {}, port: ports.toxiproxy };
      case 'target':
        return { service, image: 'node', cmd: ['node', '--import', 'tsx', 'target/main.ts'], env: targetEnv(ports, secrets, config), port: ports.target };
      case 'telegram':
      case 'yookassa':
      case 'cryptopay':
        return simContainer(service, ports, secrets);
    }
  });
}
