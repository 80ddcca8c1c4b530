/**
 * <stateDir>/docker-stack.json: the docker stack's id (its containers' label),
 * ports, images and per-stack secrets. Written with mode 0600 (it holds tokens).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ChaosError } from '../../core/errors.ts';
import { SecretsSchema, TargetConfigSchema } from '../state-file.ts';

export const DockerStackStateSchema = z.object({
  version: z.literal(1),
  stackId: z.string().regex(/^[a-z0-9]+$/),
  ports: z.object({
    postgres: z.number().int(),
    toxiproxy: z.number().int(),
    target: z.number().int(),
    telegram: z.number().int(),
    yookassa: z.number().int(),
    cryptopay: z.number().int(),
    proxies: z.record(z.string(), z.number().int()),
    /** With several target instances: each instance's own port (HAProxy holds `target`), and Redis's. */
    instances: z.array(z.number().int()).optional(),
    redis: z.number().int().optional(),
  }),
  secrets: SecretsSchema,
  // scaleout came later: a state file written before it still reads (the next `up` records it).
  images: z.object({ postgres: z.string(), toxiproxy: z.string(), node: z.string(), scaleout: z.string().default('') }),
  /** The target's configuration as last started. */
  target: TargetConfigSchema,
});

export type DockerStackState = z.infer<typeof DockerStackStateSchema>;

export function dockerStateFile(dir: string): string {
  return path.join(dir, 'docker-stack.json');
}

export async function readDockerState(dir: string): Promise<DockerStackState | null> {
  const file = dockerStateFile(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = DockerStackStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new ChaosError('CHAOSCTL_E_STATE', { file, detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  return parsed.data;
}

export async function writeDockerState(dir: string, state: DockerStackState): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(dockerStateFile(dir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function removeDockerState(dir: string): Promise<void> {
  await rm(dockerStateFile(dir), { force: true });
}
