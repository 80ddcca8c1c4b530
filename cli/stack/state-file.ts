/**
 * `<stateDir>/stack.json`: what the local stack started (pids, ports, data
 * dir, logs, the target's config), so later chaosctl processes can reuse,
 * fault and tear down the same stack. Written atomically (tmp + rename) with
 * mode 0600: an external DATABASE_URL and the target's env may hold secrets.
 */
import { mkdirSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ChaosError } from '../core/errors.ts';
import { stateDir } from '../paths.ts';

export const STACK_STATE_VERSION = 1;

const ProxyEndpointSchema = z.object({ name: z.string(), listen: z.string(), upstream: z.string() });

export const TargetConfigSchema = z.object({ env: z.record(z.string(), z.string()), sabotage: z.array(z.string()), instances: z.number().int().min(2).optional() });

/** A cluster chaosctl created with initdb and removes on `down`. */
const ThrowawayPostgresSchema = z.object({
  kind: z.literal('throwaway'),
  binDir: z.string(),
  dataDir: z.string(),
  port: z.number().int(),
  logFile: z.string(),
  /** Postmaster pid at the last start (postmaster.pid in the data dir is the live truth). */
  pid: z.number().int().nullable(),
});

/** A server the user runs (env DATABASE_URL); chaosctl only proxies to it. */
const ExternalPostgresSchema = z.object({
  kind: z.literal('external'),
  databaseUrl: z.string(),
});

const ToxiproxyStateSchema = z.object({
  binary: z.string(),
  pid: z.number().int(),
  port: z.number().int(),
  logFile: z.string(),
  proxies: z.record(z.string(), ProxyEndpointSchema),
});

const TargetStateSchema = z.object({
  pid: z.number().int(),
  port: z.number().int(),
  logFile: z.string(),
  config: TargetConfigSchema,
  /** Environment that points the target at the proxies (DATABASE_URL through the postgres proxy, …). */
  proxyEnv: z.record(z.string(), z.string()),
});

/** HAProxy in front of the instances when there are several; it listens on the stack's target port. */
const HaproxyStateSchema = z.object({ binary: z.string(), pid: z.number().int(), port: z.number().int(), configFile: z.string(), logFile: z.string(), backends: z.array(z.number().int()) });

/** The instances' shared rate-limit store when there are several. */
const RedisStateSchema = z.object({ binary: z.string(), pid: z.number().int(), port: z.number().int(), logFile: z.string() });

const SimStateSchema = z.object({ pid: z.number().int(), port: z.number().int(), logFile: z.string() });

/** The per-stack secrets, shared by the local and the docker provider's state files. */
export const SecretsSchema = z.object({
  botToken: z.string(),
  yookassaShopId: z.string(),
  yookassaSecretKey: z.string(),
  cryptopayToken: z.string(),
  controlToken: z.string(),
  /** Telegram's X-Telegram-Bot-Api-Secret-Token for webhook mode (several instances); added on first need. */
  webhookSecret: z.string().optional(),
});

export const StackStateSchema = z.object({
  version: z.literal(STACK_STATE_VERSION),
  mode: z.literal('local'),
  createdAt: z.string(),
  /** Each part is written as soon as it runs, so a failed `up` leaves enough for `down`. */
  postgres: z.discriminatedUnion('kind', [ThrowawayPostgresSchema, ExternalPostgresSchema]).optional(),
  toxiproxy: ToxiproxyStateSchema.optional(),
  /** Instance 1 of the target (the only one unless instances > 1). */
  target: TargetStateSchema.optional(),
  /** Instances 2…N when the target runs as several. */
  moreTargets: z.array(TargetStateSchema).optional(),
  haproxy: HaproxyStateSchema.optional(),
  redis: RedisStateSchema.optional(),
  /** Generated once per stack; shared by the simulators and the target. */
  secrets: SecretsSchema.optional(),
  /** The target's port, reserved before the simulators start (they deliver webhooks to it). */
  targetPort: z.number().int().optional(),
  sims: z.object({ telegram: SimStateSchema.optional(), yookassa: SimStateSchema.optional(), cryptopay: SimStateSchema.optional() }).optional(),
});

export type StackState = z.infer<typeof StackStateSchema>;
export type ThrowawayPostgresState = z.infer<typeof ThrowawayPostgresSchema>;
export type ExternalPostgresState = z.infer<typeof ExternalPostgresSchema>;
export type PostgresState = NonNullable<StackState['postgres']>;
export type ToxiproxyState = z.infer<typeof ToxiproxyStateSchema>;
export type TargetState = z.infer<typeof TargetStateSchema>;
export type SimState = z.infer<typeof SimStateSchema>;
export type HaproxyState = z.infer<typeof HaproxyStateSchema>;
export type RedisState = z.infer<typeof RedisStateSchema>;

export function stackStateFile(dir: string = stateDir()): string {
  return path.join(dir, 'stack.json');
}

/** `<stateDir>/logs`, created on demand. */
export function stackLogDir(dir: string = stateDir()): string {
  const logs = path.join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  return logs;
}

export function emptyStackState(): StackState {
  return { version: STACK_STATE_VERSION, mode: 'local', createdAt: new Date().toISOString() };
}

/** The recorded stack, or null when there is none. Throws CHAOSCTL_E_STATE when the file is damaged. */
export async function readStackState(dir: string = stateDir()): Promise<StackState | null> {
  const file = stackStateFile(dir);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ChaosError('CHAOSCTL_E_STATE', { file, detail: (error as Error).message }, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ChaosError('CHAOSCTL_E_STATE', { file, detail: `not JSON: ${(error as Error).message}` }, { cause: error });
  }
  const parsed = StackStateSchema.safeParse(json);
  if (!parsed.success) {
    throw new ChaosError(
      'CHAOSCTL_E_STATE',
      { file, detail: 'unexpected content; stop what it lists by hand or delete it' },
      { details: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`) },
    );
  }
  return parsed.data;
}

export async function writeStackState(state: StackState, dir: string = stateDir()): Promise<void> {
  const file = stackStateFile(dir);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

export async function removeStackState(dir: string = stateDir()): Promise<void> {
  await rm(stackStateFile(dir), { force: true });
}
