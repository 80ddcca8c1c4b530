/**
 * The one Dockerode client chaosctl uses, the labels that mark what it created,
 * and the checks that turn "no daemon" into an error saying how to start one.
 */
import Docker from 'dockerode';
import { ChaosError } from '../../core/errors.ts';

/** Every container chaosctl creates carries this label, valued with its stack's id. */
export const STACK_LABEL = 'io.chaosctl.stack';
/** Which service of the stack a container runs (postgres, toxiproxy, target, …). */
export const SERVICE_LABEL = 'io.chaosctl.service';
/** Every image chaosctl builds carries this label, valued with the image's kind (base, postgres, …). */
export const IMAGE_LABEL = 'io.chaosctl.image';

/** How dockerd is started on these machines: host networking only, no bridge and no firewall rules. */
export const DOCKERD_COMMAND = 'dockerd --bridge=none --iptables=false --ip6tables=false';

export function dockerClient(): Docker {
  // Dockerode reads DOCKER_HOST itself; without it, the default unix socket.
  return new Docker();
}

/** Throws a clear error when the daemon does not answer. */
export async function requireDaemon(docker: Docker): Promise<void> {
  if (await daemonAnswers(docker)) return;
  throw new ChaosError('CHAOSCTL_E_TOOL_MISSING', {
    tool: 'the Docker daemon',
    detail: `nothing answers on ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}; start it (as root): \`${DOCKERD_COMMAND} &\` (install with \`apt-get install docker.io\`); \`chaosctl doctor\` checks every piece`,
  });
}

export async function daemonAnswers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** Dockerode's errors carry the HTTP status; 404 means "no such container/image". */
export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number } | null)?.statusCode === 404;
}

/** 304 means "already in that state" (start of a running container, stop of a stopped one). */
export function isNotModified(error: unknown): boolean {
  return (error as { statusCode?: number } | null)?.statusCode === 304;
}
