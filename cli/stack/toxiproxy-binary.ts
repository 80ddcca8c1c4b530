/**
 * Finds the Toxiproxy server binary, building it once with `go install` when
 * nothing provides it (Toxiproxy is packaged by neither Debian nor npm).
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ChaosError } from '../core/errors.ts';
import { findOnPath, isExecutable, runTool } from './processes.ts';

export const TOXIPROXY_VERSION = '2.12.0';
const GO_PACKAGE = `github.com/Shopify/toxiproxy/v2/cmd/server@v${TOXIPROXY_VERSION}`;
/** Toxiproxy 2.12.0's go.mod asks for go 1.23.0; Debian 12's `golang` package is 1.19, too old. */
const REMEDIES =
  'install Go >= 1.23 so chaosctl can build it (`apt-get install golang` where the distribution ships a Go that new; Debian 12 ships 1.19), or put toxiproxy-server on PATH, or set CHAOSCTL_TOXIPROXY_BIN';

type Env = Readonly<Record<string, string | undefined>>;

/** Where a built server is kept: ${XDG_CACHE_HOME:-~/.cache}/chaosctl/toxiproxy-2.12.0/server */
export function cachedToxiproxyPath(env: Env = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cacheHome, 'chaosctl', `toxiproxy-${TOXIPROXY_VERSION}`, 'server');
}

/**
 * $CHAOSCTL_TOXIPROXY_BIN, else toxiproxy-server on PATH, else the cache, else
 * a fresh `go install` into the cache.
 */
export async function resolveToxiproxyBinary(progress: (line: string) => void = () => undefined, env: Env = process.env): Promise<string> {
  const configured = env.CHAOSCTL_TOXIPROXY_BIN;
  if (configured) {
    if (isExecutable(configured)) return configured;
    throw new ChaosError('CHAOSCTL_E_TOOL_MISSING', { tool: 'toxiproxy-server', detail: `CHAOSCTL_TOXIPROXY_BIN=${configured} is not an executable file` });
  }
  const onPath = findOnPath('toxiproxy-server', env.PATH);
  if (onPath) return onPath;
  const cached = cachedToxiproxyPath(env);
  if (isExecutable(cached)) return cached;
  await buildIntoCache(cached, progress, env);
  return cached;
}

async function buildIntoCache(target: string, progress: (line: string) => void, env: Env): Promise<void> {
  const go = findOnPath('go', env.PATH);
  if (!go) {
    throw new ChaosError('CHAOSCTL_E_TOOL_MISSING', { tool: 'toxiproxy-server', detail: `it is not on PATH and \`go\` is missing to build it: ${REMEDIES}` });
  }
  const cacheDir = path.dirname(target);
  // Build into a private directory and rename, so an interrupted build never
  // leaves a half-written binary where the next run would trust it.
  const buildDir = path.join(cacheDir, `.build-${process.pid}`);
  await mkdir(buildDir, { recursive: true });
  const logFile = path.join(cacheDir, 'build.log');
  progress(`toxiproxy: building toxiproxy-server ${TOXIPROXY_VERSION} with go install into ${cacheDir} (about a minute, once)`);
  try {
    await runTool(go, ['install', GO_PACKAGE], {
      cwd: buildDir,
      env: { ...process.env, ...env, GOBIN: buildDir },
      logFile,
      timeoutMs: 10 * 60_000,
    });
    await rename(path.join(buildDir, 'server'), target);
  } catch (error) {
    throw new ChaosError(
      'CHAOSCTL_E_TOOL_MISSING',
      { tool: 'toxiproxy-server', detail: `go install ${GO_PACKAGE} failed (${(error as Error).message.split('\n')[0]}); ${REMEDIES}` },
      { cause: error, details: (error as Error).message.split('\n').slice(1) },
    );
  } finally {
    await rm(buildDir, { recursive: true, force: true });
  }
  progress(`toxiproxy: built ${target}`);
}
