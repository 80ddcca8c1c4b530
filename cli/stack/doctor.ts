/**
 * Whether this machine can run each stack mode, piece by piece, and for each
 * missing piece the command that fixes it. Checks only look; nothing is built
 * or started here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dockerClient, daemonAnswers, DOCKERD_COMMAND } from './docker/client.ts';
import { baseTarball, missingImages, planImages } from './docker/images.ts';
import { findPostgresBinDir } from './postgres-cluster.ts';
import { findOnPath, isExecutable } from './processes.ts';
import { cachedToxiproxyPath } from './toxiproxy-binary.ts';
import type { StackMode } from './types.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface Check {
  name: string;
  ok: boolean;
  /** What was found, or what is missing. */
  detail: string;
  /** The command that fixes it (only when not ok). */
  fix?: string;
  /** A missing optional piece does not make the mode unusable. */
  optional?: boolean;
}

export interface ModeReport {
  mode: StackMode;
  ready: boolean;
  checks: Check[];
}

const MIN_NODE = [20, 18] as const;

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return { name: 'Node.js', ok, detail: `v${process.versions.node} (needs >= ${MIN_NODE.join('.')})`, ...(ok ? {} : { fix: 'install Node.js 20.18 or newer (https://nodejs.org or your distribution)' }) };
}

function goVersion(env: Env): string | null {
  const go = findOnPath('go', env.PATH);
  if (!go) return null;
  const out = spawnSync(go, ['version'], { encoding: 'utf8', timeout: 10_000 });
  return /go(\d+\.\d+)/.exec(out.stdout)?.[1] ?? null;
}

/** The Toxiproxy server is found without building, or Go is new enough to build it on first use. */
function toxiproxyCheck(env: Env): Check {
  const configured = env.CHAOSCTL_TOXIPROXY_BIN;
  const found = configured && isExecutable(configured) ? configured : (findOnPath('toxiproxy-server', env.PATH) ?? (isExecutable(cachedToxiproxyPath(env)) ? cachedToxiproxyPath(env) : null));
  if (found) return { name: 'Toxiproxy server', ok: true, detail: found };
  const go = goVersion(env);
  const [major = 0, minor = 0] = (go ?? '0.0').split('.').map(Number);
  if (major > 1 || (major === 1 && minor >= 23)) return { name: 'Toxiproxy server', ok: true, detail: `not built yet; go ${go} builds it on first use (about a minute)` };
  return {
    name: 'Toxiproxy server',
    ok: false,
    detail: go ? `not built, and go ${go} is too old to build it (needs >= 1.23)` : 'not built, and `go` is missing to build it',
    fix: `install Go >= 1.23, then \`GOBIN=${cachedToxiproxyPath(env).replace(/\/server$/, '')} go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0\``,
  };
}

async function localChecks(env: Env): Promise<Check[]> {
  const checks: Check[] = [nodeCheck()];
  if (env.DATABASE_URL) checks.push({ name: 'PostgreSQL', ok: true, detail: 'external (DATABASE_URL is set)' });
  else {
    try {
      checks.push({ name: 'PostgreSQL binaries', ok: true, detail: await findPostgresBinDir(env) });
    } catch (error) {
      checks.push({ name: 'PostgreSQL binaries', ok: false, detail: (error as Error).message.split('\n')[0] ?? 'not found', fix: 'apt-get install postgresql' });
    }
    if (process.getuid?.() === 0) {
      const user = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).status === 0;
      checks.push(
        user
          ? { name: 'postgres user', ok: true, detail: 'exists (PostgreSQL refuses to run as root; chaosctl runs it as this user)' }
          : { name: 'postgres user', ok: false, detail: 'missing; PostgreSQL refuses to run as root', fix: 'apt-get install postgresql (creates the user)' },
      );
      const runuser = findOnPath('runuser', env.PATH) ?? findOnPath('runuser', '/usr/sbin:/sbin');
      checks.push(runuser ? { name: 'runuser', ok: true, detail: runuser } : { name: 'runuser', ok: false, detail: 'missing', fix: 'apt-get install util-linux' });
    }
  }
  checks.push(toxiproxyCheck(env));
  const redis = findOnPath('redis-server', env.PATH);
  checks.push(
    redis
      ? { name: 'redis-server', ok: true, detail: `${redis} (used by the tests)`, optional: true }
      : { name: 'redis-server', ok: false, detail: 'missing; only the tests need it', fix: 'apt-get install redis-server', optional: true },
  );
  return checks;
}

async function dockerChecks(env: Env): Promise<Check[]> {
  const checks: Check[] = [nodeCheck()];
  const client = findOnPath('dockerd', env.PATH) ?? findOnPath('dockerd', '/usr/sbin:/usr/bin');
  checks.push(client ? { name: 'dockerd', ok: true, detail: client } : { name: 'dockerd', ok: false, detail: 'not installed', fix: 'apt-get install docker.io' });
  const docker = dockerClient();
  const answers = await daemonAnswers(docker);
  checks.push(
    answers
      ? { name: 'Docker daemon', ok: true, detail: `answers on ${env.DOCKER_HOST ?? '/var/run/docker.sock'}` }
      : { name: 'Docker daemon', ok: false, detail: `nothing answers on ${env.DOCKER_HOST ?? '/var/run/docker.sock'}`, fix: `${DOCKERD_COMMAND} > /var/log/dockerd.log 2>&1 &` },
  );
  const toxiproxy = toxiproxyCheck(env);
  checks.push(toxiproxy);
  if (answers && toxiproxy.ok && isExecutable(cachedToxiproxyPath(env))) {
    const planned = await planImages(() => undefined, env);
    const missing = await missingImages(docker, planned);
    checks.push(
      missing.length === 0
        ? { name: 'images', ok: true, detail: Object.values(planned.images).join(', ') }
        : { name: 'images', ok: true, detail: `${missing.join(', ')} not built yet; \`--stack docker\` builds them on first use (or now: \`npx chaosctl images build\`)` },
    );
  }
  const debootstrap = findOnPath('debootstrap', env.PATH) ?? findOnPath('debootstrap', '/usr/sbin:/sbin');
  const cached = existsSync(baseTarball(env));
  checks.push(
    debootstrap || cached
      ? { name: 'debootstrap', ok: true, detail: cached ? `Debian tree cached in ${baseTarball(env)}` : debootstrap ?? '' }
      : { name: 'debootstrap', ok: false, detail: 'missing; it builds the base image without a registry', fix: 'apt-get install debootstrap' },
  );
  return checks;
}

export async function doctor(env: Env = process.env): Promise<ModeReport[]> {
  const reports: ModeReport[] = [];
  for (const [mode, checks] of [
    ['local', await localChecks(env)],
    ['docker', await dockerChecks(env)],
  ] as const) {
    reports.push({ mode, ready: checks.every((c) => c.ok || c.optional), checks });
  }
  return reports;
}
