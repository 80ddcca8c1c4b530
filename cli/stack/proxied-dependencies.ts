/**
 * The dependencies the target reaches only through a Toxiproxy proxy, so that
 * network faults can be put between them. Adding one (telegram, yookassa,
 * cryptopay) is one entry here: where the real thing listens, and which
 * environment points the target at the proxy instead. The simulators are
 * reached over HTTPS, like the real services: Toxiproxy relays TCP and leaves
 * TLS to the two ends.
 */

/** Addresses of the real dependencies of this stack. */
export interface Upstreams {
  /** Direct PostgreSQL connection string. */
  postgresUrl: string;
  /** host:port of each simulator, when the stack runs it. */
  sims?: Partial<Record<'telegram' | 'yookassa' | 'cryptopay', string>>;
}

export interface ProxiedDependency {
  /** Proxy name; toxiproxy faults in scenarios refer to it. */
  name: string;
  /** host:port of the real dependency, or null when this stack has none. */
  upstream(upstreams: Upstreams): string | null;
  /** Environment that makes the target use the proxy listening at `listen` (host:port). */
  targetEnv(listen: string, upstreams: Upstreams): Record<string, string>;
}

export const PROXIED_DEPENDENCIES: readonly ProxiedDependency[] = [
  {
    name: 'postgres',
    upstream: ({ postgresUrl }) => hostPortOf(postgresUrl, 5432),
    targetEnv: (listen, { postgresUrl }) => ({ DATABASE_URL: withHostPort(postgresUrl, listen) }),
  },
  {
    name: 'telegram',
    upstream: ({ sims }) => sims?.telegram ?? null,
    targetEnv: (listen) => ({ TELEGRAM_API_ROOT: `https://${listen}` }),
  },
  {
    name: 'yookassa',
    upstream: ({ sims }) => sims?.yookassa ?? null,
    targetEnv: (listen) => ({ YOOKASSA_API_URL: `https://${listen}/v3` }),
  },
  {
    name: 'cryptopay',
    upstream: ({ sims }) => sims?.cryptopay ?? null,
    targetEnv: (listen) => ({ CRYPTOPAY_API_URL: `https://${listen}/api` }),
  },
];

/** host:port of a URL, with `defaultPort` when it names none. */
export function hostPortOf(url: string, defaultPort: number): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || defaultPort}`;
}

/** The URL with its host and port replaced by `hostPort`; user, password, path and query are kept. */
export function withHostPort(url: string, hostPort: string): string {
  const parsed = new URL(url);
  parsed.host = hostPort;
  return parsed.toString();
}

/** The target's environment for every dependency that has a proxy in `proxies` (name → listen address). */
export function proxyEnvFor(proxies: Readonly<Record<string, { listen: string }>>, upstreams: Upstreams): Record<string, string> {
  const env: Record<string, string> = {};
  for (const dependency of PROXIED_DEPENDENCIES) {
    const proxy = proxies[dependency.name];
    if (proxy) Object.assign(env, dependency.targetEnv(proxy.listen, upstreams));
  }
  return env;
}
