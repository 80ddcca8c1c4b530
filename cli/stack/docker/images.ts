/**
 * The offline images of the docker stack, for machines with no image registry:
 * a Debian base from debootstrap + `docker import`, PostgreSQL 15 from Debian's
 * packages, the Toxiproxy server local mode builds, Node 20 copied from this
 * machine, and HAProxy + Redis from Debian's packages (for several target
 * instances). Each image is tagged with a hash of everything that goes into it, so
 * an unchanged recipe never rebuilds; the debootstrap tree is cached as a tarball.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { ChaosError } from '../../core/errors.ts';
import { findOnPath, runTool } from '../processes.ts';
import { resolveToxiproxyBinary } from '../toxiproxy-binary.ts';
import { IMAGE_LABEL, isNotFound, requireDaemon } from './client.ts';

type Progress = (line: string) => void;
type Env = Readonly<Record<string, string | undefined>>;

export type ImageKind = 'base' | 'postgres' | 'toxiproxy' | 'node' | 'scaleout';
/** The images the stack's containers run (scaleout: HAProxy and Redis, for a target of several instances). */
export type StackImages = Record<Exclude<ImageKind, 'base'>, string>;

export const DEBIAN_SUITE = 'bookworm';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/** Bumped when the base recipe changes in a way its inputs do not show. */
const BASE_RECIPE = `debootstrap --variant=minbase ${DEBIAN_SUITE} ${DEBIAN_MIRROR} v1`;

/** Starts PostgreSQL as the official image does for our uses: PGPORT, trust auth, a data dir that is initialised once. */
const POSTGRES_ENTRYPOINT = `#!/bin/sh
set -e
bin=/usr/lib/postgresql/15/bin
data="\${PGDATA:-/var/lib/postgresql/data}"
if [ ! -s "$data/PG_VERSION" ]; then
  "$bin/initdb" -D "$data" -A "\${POSTGRES_HOST_AUTH_METHOD:-trust}" -U postgres -E UTF8 --no-locale --no-sync >/dev/null
fi
# fsync=off: the cluster is thrown away with its container; never copy this to a real server.
exec "$bin/postgres" -D "$data" -p "\${PGPORT:-5432}" -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off "$@"
`;

/** One Dockerfile line installing Debian packages from the mirror, leaving no package lists behind. */
function aptInstall(...packages: string[]): string {
  return `RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${packages.join(' ')} && rm -rf /var/lib/apt/lists/*`;
}

interface Recipe {
  kind: Exclude<ImageKind, 'base'>;
  dockerfile: string;
  /** Files copied into the build context: name in the context → source path. */
  files: Record<string, string>;
  /** Extra text files written into the build context. */
  texts: Record<string, string>;
}

export function cacheDir(env: Env = process.env): string {
  const cacheHome = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cacheHome, 'chaosctl', 'docker');
}

export function baseTarball(env: Env = process.env): string {
  return path.join(cacheDir(env), `${DEBIAN_SUITE}-minbase.tar`);
}

export function shortHash(parts: ReadonlyArray<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(typeof part === 'string' ? `${part.length}:${part}` : part);
  return hash.digest('hex').slice(0, 16);
}

/**
 * sha256 of a file's bytes. The Node binary is ~100 MB and is hashed on every
 * docker-mode start, so hashes are remembered per path, size and mtime.
 */
async function fileHash(file: string, env: Env = process.env): Promise<string> {
  const info = await stat(file);
  const key = `${path.resolve(file)}|${info.size}|${info.mtimeMs}`;
  const memo = path.join(cacheDir(env), 'file-hashes.json');
  let known: Record<string, string> = {};
  try {
    known = JSON.parse(await readFile(memo, 'utf8')) as Record<string, string>;
  } catch {
    known = {};
  }
  const remembered = known[key];
  if (remembered) return remembered;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const digest = hash.digest('hex');
  await mkdir(path.dirname(memo), { recursive: true });
  // Entries of files that are gone (or changed) are dropped, so the memo stays small.
  const kept = Object.entries(known).filter(([k]) => existsSync(k.split('|')[0] ?? '') && !k.startsWith(`${path.resolve(file)}|`));
  await writeFile(memo, JSON.stringify(Object.fromEntries([...kept, [key, digest]])));
  return digest;
}

export function baseTag(): string {
  return `chaosctl/base:${shortHash([BASE_RECIPE])}`;
}

/** The recipes of the stack's images on top of `base`. */
export function recipes(base: string, toxiproxyBinary: string, nodeBinary: string): Recipe[] {
  return [
    {
      kind: 'postgres',
      dockerfile: [
        `FROM ${base}`,
        `LABEL ${IMAGE_LABEL}=postgres`,
        aptInstall('postgresql-15'),
        'RUN mkdir -p /var/lib/postgresql/data && chown -R postgres:postgres /var/lib/postgresql',
        'COPY entrypoint.sh /usr/local/bin/chaosctl-postgres',
        'RUN chmod 755 /usr/local/bin/chaosctl-postgres',
        'USER postgres',
        // A fast shutdown on `docker stop`, as the official image does.
        'STOPSIGNAL SIGINT',
        'ENTRYPOINT ["/usr/local/bin/chaosctl-postgres"]',
        '',
      ].join('\n'),
      files: {},
      texts: { 'entrypoint.sh': POSTGRES_ENTRYPOINT },
    },
    {
      kind: 'toxiproxy',
      dockerfile: [`FROM ${base}`, `LABEL ${IMAGE_LABEL}=toxiproxy`, 'COPY toxiproxy-server /toxiproxy', 'ENTRYPOINT ["/toxiproxy"]', ''].join('\n'),
      files: { 'toxiproxy-server': toxiproxyBinary },
      texts: {},
    },
    {
      kind: 'node',
      dockerfile: [`FROM ${base}`, `LABEL ${IMAGE_LABEL}=node`, 'COPY node /usr/local/bin/node', 'WORKDIR /app', 'CMD ["node", "--version"]', ''].join('\n'),
      files: { node: nodeBinary },
      texts: {},
    },
    {
      // One image for both scale-out services: each container names its program in its command.
      kind: 'scaleout',
      dockerfile: [
        `FROM ${base}`,
        `LABEL ${IMAGE_LABEL}=scaleout`,
        aptInstall('haproxy', 'redis-server'),
        'CMD ["haproxy", "-v"]',
        '',
      ].join('\n'),
      files: {},
      texts: {},
    },
  ];
}

/** Image tag of a recipe: the hash of its Dockerfile (which names the base tag) and of every file going in. */
export async function recipeTag(recipe: Recipe): Promise<string> {
  const parts: string[] = [recipe.dockerfile];
  for (const [name, text] of Object.entries(recipe.texts).sort()) parts.push(name, text);
  for (const [name, file] of Object.entries(recipe.files).sort()) parts.push(name, await fileHash(file));
  return `chaosctl/${recipe.kind}:${shortHash(parts)}`;
}

export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

export interface PlannedImages {
  base: string;
  images: StackImages;
  recipes: Recipe[];
}

/** The tags this tree wants, without building anything (needs the Toxiproxy binary, which it may build). */
export async function planImages(progress: Progress = () => undefined, env: Env = process.env): Promise<PlannedImages> {
  const base = baseTag();
  const toxiproxy = await resolveToxiproxyBinary(progress, env);
  const list = recipes(base, toxiproxy, process.execPath);
  const images = {} as StackImages;
  for (const recipe of list) images[recipe.kind] = await recipeTag(recipe);
  return { base, images, recipes: list };
}

/** Which of the planned images the daemon lacks. */
export async function missingImages(docker: Docker, planned: PlannedImages): Promise<string[]> {
  const missing: string[] = [];
  for (const tag of [planned.base, ...Object.values(planned.images)]) if (!(await imageExists(docker, tag))) missing.push(tag);
  return missing;
}

/** Builds whatever of the stack's images is missing; returns the tags to run. */
export async function ensureImages(docker: Docker, progress: Progress = () => undefined, env: Env = process.env): Promise<StackImages> {
  await requireDaemon(docker);
  const planned = await planImages(progress, env);
  if ((await missingImages(docker, planned)).length === 0) return planned.images;
  const started = Date.now();
  progress(`images: building the docker stack's images offline (once per change of their inputs; minutes the first time)`);
  if (await imageExists(docker, planned.base)) progress(`images: ${planned.base} present`);
  else await importBase(docker, planned.base, progress, env);
  for (const recipe of planned.recipes) {
    const tag = planned.images[recipe.kind];
    if (await imageExists(docker, tag)) {
      progress(`images: ${tag} present`);
      continue;
    }
    await buildRecipe(docker, recipe, tag, progress, env);
  }
  progress(`images: ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return planned.images;
}

async function importBase(docker: Docker, tag: string, progress: Progress, env: Env): Promise<void> {
  const tarball = baseTarball(env);
  if (!existsSync(tarball)) await debootstrapInto(tarball, progress, env);
  else progress(`images: using the cached Debian tree ${tarball}`);
  const [repo, version] = tag.split(':') as [string, string];
  const t0 = Date.now();
  const stream = await docker.importImage(tarball, { repo, tag: version });
  await follow(docker, stream, () => undefined);
  if (!(await imageExists(docker, tag))) throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'images', detail: `docker import of ${tarball} did not create ${tag}` });
  progress(`images: imported ${tag} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** debootstrap a minimal Debian into a temporary folder and keep it as a tarball (written aside, then renamed). */
async function debootstrapInto(tarball: string, progress: Progress, env: Env): Promise<void> {
  const debootstrap = findOnPath('debootstrap', env.PATH) ?? findOnPath('debootstrap', '/usr/sbin:/sbin');
  if (!debootstrap) throw new ChaosError('CHAOSCTL_E_TOOL_MISSING', { tool: 'debootstrap', detail: 'it builds the base image offline; `apt-get install debootstrap`' });
  await mkdir(path.dirname(tarball), { recursive: true });
  const work = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-debootstrap-'));
  const log = path.join(path.dirname(tarball), 'debootstrap.log');
  const t0 = Date.now();
  progress(`images: debootstrap --variant=minbase ${DEBIAN_SUITE} (about a minute, cached in ${path.dirname(tarball)}; log ${log})`);
  try {
    const root = path.join(work, 'root');
    await runTool(debootstrap, ['--variant=minbase', DEBIAN_SUITE, root, DEBIAN_MIRROR], { cwd: work, env: { ...process.env }, logFile: log, timeoutMs: 15 * 60_000 });
    const partial = `${tarball}.${process.pid}.partial`;
    await runTool('tar', ['-C', root, '-cf', partial, '.'], { cwd: work, env: { ...process.env }, logFile: log, timeoutMs: 5 * 60_000 });
    await rename(partial, tarball);
  } catch (error) {
    throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'images', detail: `debootstrap failed: ${(error as Error).message}` }, { cause: error });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  progress(`images: Debian tree ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

async function buildRecipe(docker: Docker, recipe: Recipe, tag: string, progress: Progress, env: Env): Promise<void> {
  const context = await mkdtemp(path.join(os.tmpdir(), `chaosctl-image-${recipe.kind}-`));
  const log = path.join(cacheDir(env), `build-${recipe.kind}.log`);
  const t0 = Date.now();
  progress(`images: building ${tag} (log ${log})`);
  try {
    await writeFile(path.join(context, 'Dockerfile'), recipe.dockerfile);
    for (const [name, text] of Object.entries(recipe.texts)) await writeFile(path.join(context, name), text);
    for (const [name, file] of Object.entries(recipe.files)) await copyFile(file, path.join(context, name));
    const lines: string[] = [];
    const stream = await docker.buildImage(
      { context, src: ['Dockerfile', ...Object.keys(recipe.texts), ...Object.keys(recipe.files)] },
      // Host networking: the only network this daemon has (apt-get needs it for PostgreSQL's packages).
      { t: tag, networkmode: 'host', rm: true, forcerm: true },
    );
    let failure: string | null = null;
    await follow(docker, stream, (event) => {
      const text = typeof event.stream === 'string' ? event.stream : '';
      if (text) lines.push(text.trimEnd());
      if (/^Step \d+\/\d+/.test(text)) progress(`images: ${recipe.kind}: ${text.trim().slice(0, 110)}`);
      if (typeof event.error === 'string') failure = event.error;
    });
    await mkdir(path.dirname(log), { recursive: true });
    await writeFile(log, `${lines.join('\n')}\n`);
    if (failure) throw new Error(`${failure}; the build's output is in ${log}`);
    if (!(await imageExists(docker, tag))) throw new Error(`the build ended without ${tag}; its output is in ${log}`);
  } catch (error) {
    if (error instanceof ChaosError) throw error;
    throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: `image ${tag}`, detail: (error as Error).message }, { cause: error });
  } finally {
    await rm(context, { recursive: true, force: true });
  }
  progress(`images: built ${tag} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

interface BuildEvent {
  stream?: unknown;
  error?: unknown;
  status?: unknown;
}

function follow(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (event: BuildEvent) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error ? reject(error) : resolve()),
      (event: BuildEvent) => onEvent(event),
    );
  });
}
