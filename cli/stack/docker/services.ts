/**
 * What each container of the docker stack runs: image, command and
 * environment, derived from the same pieces as the local stack (secrets,
 * simulator env, proxies, target defaults). docker/compose.yaml describes the
 * same services for a machine with a registry; a test keeps the two in step.
 */
import { haproxyConfig } from '../haproxy.ts';
import { PROXIED_DEPENDENCIES, proxyEnvFor } from '../proxied-dependencies.ts';
import type { Upstreams } from '../proxied-dependencies.ts';
import { redisServerArgs, redisUrl } from '../redis-server.ts';
import { scaleOutTargetEnv, SIM_NAMES, simEnv, simUrl, TARGET_DEFAULT_ENV, targetSecretEnv, targetTlsEnv } from '../simulators.ts';
import type { SimName, StackSecrets } from '../simulators.ts';
import type { StackTlsFiles } from '../stack-tls.ts';
import type { ProxyEndpoint, ServiceName, TargetConfig } from '../types.ts';

export type ImageRole = 'postgres' | 'toxiproxy' | 'node' | 'scaleout';
/** A container's part in the stack: a service scenarios name, or HAProxy / Redis in front of and behind several target instances. */
export type ContainerRole = ServiceName | 'haproxy' | 'redis';

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
  /** With several target instances: instance i+1 listens on instances[i] (HAProxy then holds `target`). */
  instances?: number[];
  /** Redis, shared by several target instances. */
  redis?: number;
}

export interface ContainerSpec {
  service: ContainerRole;
  /** Which target instance (1-based) when the target runs as several; absent otherwise. */
  instance?: number;
  image: ImageRole;
  /** Arguments after the image's entrypoint (postgres, toxiproxy) or the whole command (node). */
  cmd: string[];
  env: Record<string, string>;
  /** The port that tells whether the service is up. */
  port: number;
  /** Host folders mounted read-only, as "host:container:ro" (the stack's certificates for the Node ones). */
  binds: string[];
}

/** Services in the order they start: dependencies first, the target last (Redis before the targets and HAProxy after them, when there are several). */
export const START_ORDER: readonly ServiceName[] = ['postgres', ...SIM_NAMES, 'toxiproxy', 'target'];

/** What names a container within its stack: its role, and the instance past the first ("target-2"). */
export function containerKey(spec: Pick<ContainerSpec, 'service' | 'instance'>): string {
  return spec.instance !== undefined && spec.instance > 1 ? `${spec.service}-${spec.instance}` : spec.service;
}

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

/** How the target runs: one container on the target port, or `count` behind HAProxy sharing a Redis. */
interface TargetPlacement {
  /** The port this container listens on. */
  port: number;
  /** With several instances: where Redis is, and the secret Telegram's webhook carries. */
  scaleOut?: { redisPort: number; webhookSecret: string };
}

/** The target's environment: defaults, the scenario's overrides, then what the stack owns (proxies, secrets, CA, port). */
export function targetEnv(ports: DockerPorts, secrets: StackSecrets, config: TargetConfig, placement: TargetPlacement = { port: ports.target }): Record<string, string> {
  const { scaleOut } = placement;
  return {
    ...TARGET_DEFAULT_ENV,
    ...config.env,
    // As in local mode: HTTPS to the simulators through Toxiproxy, trusting the stack's CA.
    ...proxyEnvFor(proxiesFor(ports), upstreamsFor(ports)),
    ...targetSecretEnv(secrets),
    ...targetTlsEnv(CONTAINER_TLS),
    // Telegram's webhook goes to the front door (HAProxy on the target port), so updates spread across the instances.
    ...(scaleOut ? scaleOutTargetEnv(simUrl(ports.target), redisUrl(scaleOut.redisPort), scaleOut.webhookSecret) : {}),
    PORT: String(placement.port),
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
 * With `instances` > 1 the ports must hold each instance's port and Redis's, and the secrets a webhook secret.
 */
export function containerSpecs(ports: DockerPorts, secrets: StackSecrets, config: TargetConfig, tlsHostDir: string): ContainerSpec[] {
  const count = config.instances ?? 1;
  const scaleOut = count > 1 ? scaleOutOf(ports, secrets, count) : null;
  const targetSpec = (port: number, instance?: number): ContainerSpec => ({
    service: 'target',
    ...(instance === undefined ? {} : { instance }),
    image: 'node',
    cmd: ['node', '--import', 'tsx', 'target/main.ts'],
    env: targetEnv(ports, secrets, config, scaleOut ? { port, scaleOut } : { port }),
    port,
    binds: [tlsBind(tlsHostDir)],
  });
  return START_ORDER.flatMap((service): ContainerSpec[] => {
    switch (service) {
      case 'postgres':
        return [{ service, image: 'postgres', cmd: [], env: { PGPORT: String(ports.postgres), POSTGRES_HOST_AUTH_METHOD: 'trust' }, port: ports.postgres, binds: [] }];
      case 'toxiproxy':
        return [
          ...(scaleOut ? [redisSpec(scaleOut.redisPort)] : []),
          { service, image: 'toxiproxy', cmd: ['-host', '127.0.0.1', '-port', String(ports.toxiproxy)], env: {}, port: ports.toxiproxy, binds: [] },
        ];
      case 'target':
        if (!scaleOut) return [targetSpec(ports.target)];
        return [...scaleOut.instancePorts.map((port, i) => targetSpec(port, i + 1)), haproxySpec(ports.target, scaleOut.instancePorts)];
      case 'telegram':
      case 'yookassa':
      case 'cryptopay':
        return [simContainer(service, ports, secrets, tlsHostDir)];
    }
  });
}

function scaleOutOf(ports: DockerPorts, secrets: StackSecrets, count: number): { instancePorts: number[]; redisPort: number; webhookSecret: string } {
  const instancePorts = (ports.instances ?? []).slice(0, count);
  if (instancePorts.length < count || ports.redis === undefined || !secrets.webhookSecret) {
    throw new Error(`a target of ${count} instances needs ${count} instance ports, a Redis port and a webhook secret in the stack's state`);
  }
  return { instancePorts, redisPort: ports.redis, webhookSecret: secrets.webhookSecret };
}

/** Redis without persistence on 127.0.0.1, as local mode runs it. */
function redisSpec(port: number): ContainerSpec {
  return {
    service: 'redis',
    image: 'scaleout',
    cmd: ['redis-server', ...redisServerArgs(port)],
    env: {},
    port,
    binds: [],
  };
}

/**
 * HAProxy on the target port in front of the instances, with local mode's config
 * (haproxy.ts). The config travels in the environment, so a changed config is a
 * changed container spec, and is written to a file inside the container at start.
 */
function haproxySpec(frontPort: number, instancePorts: readonly number[]): ContainerSpec {
  return {
    service: 'haproxy',
    image: 'scaleout',
    cmd: ['sh', '-c', 'printf "%s\\n" "$HAPROXY_CONFIG" > /tmp/haproxy.cfg && exec haproxy -db -f /tmp/haproxy.cfg'],
    env: { HAPROXY_CONFIG: haproxyConfig({ frontPort, backends: instancePorts.map((port, i) => ({ name: `target${i + 1}`, port })) }) },
    port: frontPort,
    binds: [],
  };
}
