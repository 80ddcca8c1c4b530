/**
 * What each container of the docker stack runs: image, command and
 * environment, derived from the same pieces as the local stack (secrets,
 * simulator env, proxies, target defaults). docker/compose.yaml describes the
 * same services for a machine with a registry; a test keeps the two in step.
 */
import { PROXIED_DEPENDENCIES, proxyEnvFor } from '../proxied-dependencies.ts';
import type { Upstreams } from '../proxied-dependencies.ts';
import { SIM_NAMES, simEnv, TARGET_DEFAULT_ENV, targetSecretEnv, targetTlsEnv } from '../simulators.ts';
import type { SimName, StackSecrets } from '../simulators.ts';
import type { StackTlsFiles } from '../stack-tls.ts';
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
  /** Host folders mounted read-only, as "host:container:ro" (the stack's certificates for the Node ones). */
  binds: string[];
}

/** Services in the order they start: dependencies first, the target last. */
export const START_ORDER: readonly ServiceName[] = ['postgres', ...SIM_NAMES, 'toxiproxy', 'target'];

/** Inside the Node image the package is mounted (or copied, in docker/Dockerfile) at /app. */
export const APP_DIR = '/app';

/** Where the Node containers see the stack's certificate folder (mounted read-only). */
export const TLS_DIR = '/tls';

/** The stack's certificate files as the containers see them. */
export const CONTAINER_TLS: StackTlsFiles = {
  dir: TLS_DIR,
  caCertFile: `${TLS_DIR}/ca.crt`,
  certFile: `${TLS_DIR}/server.crt`,
  keyFile: `${TLS_DIR}/server.key`,
};

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

/** The target's environment: defaults, the scenario's overrides, then what the stack owns (proxies, secrets, CA, port). */
export function targetEnv(ports: DockerPorts, secrets: StackSecrets, config: TargetConfig): Record<string, string> {
  return {
    ...TARGET_DEFAULT_ENV,
    ...config.env,
    // As in local mode: HTTPS to the simulators through Toxiproxy, trusting the stack's CA.
    ...proxyEnvFor(proxiesFor(ports), upstreamsFor(ports)),
    ...targetSecretEnv(secrets),
    ...targetTlsEnv(CONTAINER_TLS),
    PORT: String(ports.target),
    HOST: '127.0.0.1',
    CHAOSCTL_SABOTAGE: config.sabotage.join(','),
  };
}

export function simContainer(name: SimName, ports: DockerPorts, secrets: StackSecrets, tlsHostDir: string): ContainerSpec {
  return {
    service: name,
    image: 'node',
    cmd: ['node', '--import', 'tsx', `target/sims/${name}/main.ts`],
    env: simEnv(name, ports[name], secrets, `http://127.0.0.1:${ports.target}`, CONTAINER_TLS),
    port: ports[name],
    binds: [tlsBind(tlsHostDir)],
  };
}

function tlsBind(tlsHostDir: string): string {
  return `${tlsHostDir}:${TLS_DIR}:ro`;
}

/**
 * Every container of a stack with these ports, secrets and target configuration, in start order.
 * `tlsHostDir` is the host folder with the stack's CA and server certificate (stack-tls.ts).
 */
export function containerSpecs(ports: DockerPorts, secrets: StackSecrets, config: TargetConfig, tlsHostDir: string): ContainerSpec[] {
  return START_ORDER.map((service): ContainerSpec => {
    switch (service) {
      case 'postgres':
        return { service, image: 'postgres', cmd: [], env: { PGPORT: String(ports.postgres), POSTGRES_HOST_AUTH_METHOD: 'trust' }, port: ports.postgres, binds: [] };
      case 'toxiproxy':
        return { service, image: 'toxiproxy', cmd: ['-host', '127.0.0.1', '-port', String(ports.toxiproxy)], env: {}, port: ports.toxiproxy, binds: [] };
      case 'target':
        return {
          service,
          image: 'node',
          cmd: ['node', '--import', 'tsx', 'target/main.ts'],
          env: targetEnv(ports, secrets, config),
          port: ports.target,
          binds: [tlsBind(tlsHostDir)],
        };
      case 'telegram':
      case 'yookassa':
      case 'cryptopay':
        return simContainer(service, ports, secrets, tlsHostDir);
    }
  });
}
