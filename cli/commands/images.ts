/** `chaosctl images build | list`: the docker stack's offline images. */
import type { Command } from 'commander';
import { exitCodeFor, EXIT } from '../core/errors.ts';
import { dockerClient, IMAGE_LABEL, requireDaemon } from '../stack/docker/client.ts';
import { ensureImages, missingImages, planImages } from '../stack/docker/images.ts';
import { printError } from './print-error.ts';
import { say } from './shared.ts';

async function guard(action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (error) {
    printError(error);
    process.exitCode = exitCodeFor(error);
  }
}

export function register(program: Command): void {
  const images = program.command('images').description("The docker stack's images, built offline (no registry needed)");

  images
    .command('build')
    .description('Build whatever image of the docker stack is missing: Debian base (debootstrap), PostgreSQL 15, Toxiproxy, Node 20, HAProxy + Redis; unchanged inputs never rebuild')
    .action(() =>
      guard(async () => {
        const docker = dockerClient();
        const tags = await ensureImages(docker, (line) => say(`  ${line}`));
        for (const [kind, tag] of Object.entries(tags)) say(`${kind.padEnd(10)} ${tag}`);
        return EXIT.ok;
      }),
    );

  images
    .command('list')
    .description('The tags this tree wants and whether the daemon has them; exit 0 when all are there')
    .action(() =>
      guard(async () => {
        const docker = dockerClient();
        await requireDaemon(docker);
        const planned = await planImages();
        const missing = await missingImages(docker, planned);
        for (const tag of [planned.base, ...Object.values(planned.images)]) say(`${missing.includes(tag) ? 'MISSING' : 'present'}  ${tag}`);
        const ours = await docker.listImages({ filters: { label: [IMAGE_LABEL] } });
        const stale = ours.flatMap((i) => i.RepoTags ?? []).filter((t) => !Object.values(planned.images).includes(t));
        for (const tag of stale) say(`stale    ${tag} (from an earlier tree; \`docker rmi ${tag}\` removes it)`);
        return missing.length === 0 ? EXIT.ok : EXIT.stackFailure;
      }),
    );
}
