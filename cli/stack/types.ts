/**
 * Stack providers bring up the target and its dependencies and act on them as
 * services. Scenario files name services (postgres, toxiproxy, target) and run
 * unchanged whichever provider is underneath.
 */

export type StackMode = 'local' | 'docker';
export type ServiceName = 'postgres' | 'toxiproxy' | 'target' | 'telegram' | 'yookassa' | 'cryptopay';
export const SERVICE_NAMES: readonly ServiceName[] = ['postgres', 'toxiproxy', 'telegram', 'yookassa', 'cryptopay', 'target'];

/** A Toxiproxy proxy between the target and one dependency. */
export interface ProxyEndpoint {
  name: string;
  /** Where the target connects: 127.0.0.1:PORT on the proxy. */
  listen: string;
  /** The real dependency: 127.0.0.1:PORT. */
  upstream: string;
}

/** Everything a run needs to reach the stack. Addresses are always on 127.0.0.1. */
export interface StackEndpoints {
  /** Base URL of the target's HTTP side, e.g. http://127.0.0.1:41234 (HAProxy when the target runs as several instances). */
  targetUrl: string;
  /** With instances > 1: each instance's own base URL, instance 1 first (faults, actions and probes that name one instance). */
  targetInstanceUrls?: string[];
  /** Base URL of the Toxiproxy API, e.g. http://127.0.0.1:8474 */
  toxiproxyUrl: string;
  /** Direct connection string to PostgreSQL (the harness's own checks; never through the proxy). */
  databaseUrl: string;
  proxies: Record<string, ProxyEndpoint>;
  /** Base URLs of the simulators' own servers, for their control APIs (the target reaches them through proxies). */
  sims?: Partial<Record<'telegram' | 'yookassa' | 'cryptopay', string>>;
  /** Token of the target's /_control API (never written to journals or reports). */
  controlToken?: string;
  /** Credentials the simulators and the target share, for drivers that act as the provider (never written to journals or reports). */
  secrets?: { yookassaShopId: string; yookassaSecretKey: string; cryptopayToken: string };
}

/** How the target is configured; a running target with a different config is restarted. */
export interface TargetConfig {
  /** Extra environment for the target (scenario overrides). */
  env: Record<string, string>;
  /** Sabotage switches to turn on (test-only; see docs/sabotage.md). */
  sabotage: string[];
  /** Target processes (default 1). More than one share PostgreSQL and a Redis, and get every request through HAProxy. */
  instances?: number;
}

export interface ServiceStatus {
  name: ServiceName;
  running: boolean;
  /** pid, port, data dir …, for `chaosctl status`. */
  detail: string;
}

/** Operations the service fault driver uses. Each is idempotent where it can be. */
export interface ServiceControl {
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  kill(): Promise<void>;
  isRunning(): Promise<boolean>;
  /** Bring the service back to running from whatever state a fault left: resume if paused, start if stopped. */
  ensureRunning(): Promise<void>;
  /** The last operation this control carried out, in the provider's own terms ("container x: docker stop"), when it has such terms. */
  readonly lastOperation?: string;
}

export interface StackProvider {
  readonly mode: StackMode;
  /** The most target instances this provider can run (unset: as many as the schema allows). */
  readonly maxInstances?: number;
  /** Starts whatever is not running (or restarts the target when its config differs) and returns the endpoints. */
  up(config: TargetConfig, progress?: (line: string) => void): Promise<StackEndpoints>;
  /** Stops everything and removes throwaway data. Safe to call twice and when nothing runs. */
  down(progress?: (line: string) => void): Promise<void>;
  status(): Promise<ServiceStatus[]>;
  /** Endpoints of a running stack, or null when there is none. */
  endpoints(): Promise<StackEndpoints | null>;
  /** `instance` (1-based) picks one target process when the target runs as several; without it a fault hits them all. */
  service(name: ServiceName, instance?: number): ServiceControl;
  /** The last lines of each service's output, secrets masked, for the journal of a run that errored (providers that can). */
  logTails?(lines?: number): Promise<Record<string, string>>;
}
