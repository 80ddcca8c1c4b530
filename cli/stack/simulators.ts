/**
 * The three outside services as local simulator processes (target/sims/*),
 * and the per-stack secrets both the simulators and the target are given.
 */
import { randomBytes, randomInt } from 'node:crypto';
import path from 'node:path';
import { ChaosError } from '../core/errors.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { waitForHttp } from './http-probe.ts';
import type { StackTlsFiles } from './stack-tls.ts';
import { processState, spawnDetached, stopProcess, tailOfFile } from './processes.ts';

export type SimName = 'telegram' | 'yookassa' | 'cryptopay';
export const SIM_NAMES: readonly SimName[] = ['telegram', 'yookassa', 'cryptopay'];

/** Secrets generated once per stack; they never leave stack.json (mode 0600) and the processes' environments. */
export interface StackSecrets {
  botToken: string;
  yookassaShopId: string;
  yookassaSecretKey: string;
  cryptopayToken: string;
  /** Guards the target's /_control API. */
  controlToken: string;
  /** Telegram's X-Telegram-Bot-Api-Secret-Token in webhook mode (several instances); added on first need. */
  webhookSecret?: string;
}

export function newSecrets(): StackSecrets {
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
  return {
    botToken: `${randomInt(1_000_000_000, 9_999_999_999)}:${randomBytes(26).toString('base64url').slice(0, 35)}`,
    yookassaShopId: String(randomInt(100_000, 999_999)),
    yookassaSecretKey: `test_${hex(20)}`,
    cryptopayToken: `${randomInt(10_000, 999_999)}:${alphanumeric(35)}`,
    controlToken: hex(24),
  };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` random letters and digits: Crypto Pay tokens are `<app id>:` and 35 of these, and clients check the shape. */
function alphanumeric(length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return text;
}

export function simMain(name: SimName): string {
  return path.join(PACKAGE_ROOT, 'target', 'sims', name, 'main.ts');
}

/**
 * Environment of one simulator process: its port, its secrets, where it delivers webhooks (the
 * target), and the certificate that makes the same port answer HTTPS, as the real services do.
 */
export function simEnv(name: SimName, port: number, secrets: StackSecrets, targetUrl: string, tls?: StackTlsFiles): Record<string, string> {
  const common = {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...(tls ? { SIM_TLS_CERT_FILE: tls.certFile, SIM_TLS_KEY_FILE: tls.keyFile } : {}),
  };
  switch (name) {
    case 'telegram':
      return { ...common, TELEGRAM_SIM_TOKEN: secrets.botToken };
    case 'yookassa':
      return {
        ...common,
        YOOKASSA_SIM_SHOP_ID: secrets.yookassaShopId,
        YOOKASSA_SIM_SECRET_KEY: secrets.yookassaSecretKey,
        YOOKASSA_SIM_NOTIFICATION_URL: `${targetUrl}/webhooks/yookassa`,
      };
    case 'cryptopay':
      return { ...common, CRYPTOPAY_SIM_TOKEN: secrets.cryptopayToken, CRYPTOPAY_SIM_WEBHOOK_URL: `${targetUrl}/webhooks/cryptopay` };
  }
}

/** What the target needs to talk to the outside services: the secrets (API roots come from the proxies). */
export function targetSecretEnv(secrets: StackSecrets): Record<string, string> {
  return {
    BOT_TOKEN: secrets.botToken,
    YOOKASSA_SHOP_ID: secrets.yookassaShopId,
    YOOKASSA_SECRET_KEY: secrets.yookassaSecretKey,
    CRYPTOPAY_TOKEN: secrets.cryptopayToken,
    CONTROL_TOKEN: secrets.controlToken,
  };
}

/** Makes the target trust the stack's CA (on top of the usual roots), so it verifies the simulators' HTTPS. */
export function targetTlsEnv(tls: StackTlsFiles): Record<string, string> {
  return { NODE_EXTRA_CA_CERTS: tls.caCertFile };
}

/** The virtual Telegram user who is the target's admin (id 100000999 in the simulator); a scenario may set ADMIN_IDS itself. */
export const ADMIN_VIRTUAL_USER = 999;

/** Target settings the stack gives by default; scenario overrides win over these. */
/**
 * What each of several target instances adds to its environment: the shared
 * Redis (rate limit, B3) and Telegram by webhook through the front door
 * (HAProxy), since Telegram refuses two pollers of one bot.
 */
export function scaleOutTargetEnv(frontUrl: string, redis: string, webhookSecret: string): Record<string, string> {
  return { REDIS_URL: redis, BOT_MODE: 'webhook', BOT_WEBHOOK_URL: `${frontUrl}/telegram/webhook`, BOT_WEBHOOK_SECRET: webhookSecret };
}

export const TARGET_DEFAULT_ENV: Readonly<Record<string, string>> = {
  ADMIN_IDS: String(100_000_000 + ADMIN_VIRTUAL_USER),
  // The YooKassa simulator delivers from this machine, not from YooKassa's published ranges.
  YOOKASSA_ALLOWED_IPS: '127.0.0.1,::1,::ffff:127.0.0.1',
};

export function simUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Spawns a simulator and waits until it answers HTTP; throws with the end of its log otherwise. */
export async function launchSim(name: SimName, port: number, env: Record<string, string>, logFile: string): Promise<number> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  const pid = spawnDetached(process.execPath, ['--import', 'tsx', simMain(name)], { cwd: PACKAGE_ROOT, env: childEnv, logFile });
  const status = await waitForHttp(`${simUrl(port)}/_sim/status`, { timeoutMs: 20_000, stillAlive: () => processState(pid) !== 'gone' });
  if (status === null) {
    await stopProcess(pid, 1000).catch(() => undefined);
    const tail = await tailOfFile(logFile);
    throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: `${name} simulator`, detail: `it did not answer within 20 s${tail ? `; ${logFile} ends with:\n${tail}` : ''}` });
  }
  return pid;
}

export function missingSims(present: Partial<Record<SimName, unknown>> | undefined): SimName[] {
  return SIM_NAMES.filter((name) => !present?.[name]);
}
