/**
 * Options and state of the Crypto Pay simulator.
 */
import type { SimTls } from '../shared/tls-listener.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { RetryPolicy } from '../shared/backoff.ts';
import { resolveRetryPolicy } from '../shared/backoff.ts';
import { FaultPlan } from '../shared/faults.ts';
import { requireLoopbackUrl } from '../shared/loopback-url.ts';
import { NotificationDeliverer } from '../shared/notification-deliverer.ts';
import { InvoiceStore } from './invoices.ts';

export interface CryptoPaySimOptions {
  /** The app's API token, expected in Crypto-Pay-API-Token (default "12345:AAsimulatedCryptoPayToken0123456789"). */
  token?: string;
  appId?: number;
  appName?: string;
  /** "mainnet" (@CryptoBot, default) or "testnet" (@CryptoTestnetBot): only changes the bot in invoice URLs and getMe. */
  network?: 'mainnet' | 'testnet';
  /** Where invoice_paid webhooks go (loopback only); none are sent until one is set. */
  webhookUrl?: string;
  /** Redelivery of refused webhooks (default 1 s doubling to 60 s, 17 attempts, within 10 min; the real one spans 3 days). */
  redelivery?: Partial<RetryPolicy>;
  /** How long one webhook POST may take (default 10 000 ms). */
  webhookTimeoutMs?: number;
  /** invoice_id of the first invoice (default 100001). */
  firstInvoiceId?: number;
  /** When set, /_sim/* requires it in the x-sim-control-token header. */
  controlToken?: string;
  logger?: FastifyBaseLogger;
  /** Certificate and key: the port answers HTTPS as well as HTTP (see shared/tls-listener.ts). */
  tls?: SimTls;
}

export interface ResolvedCryptoPayOptions {
  token: string;
  appId: number;
  appName: string;
  bot: string;
  webhookUrl: string | null;
  redelivery: RetryPolicy;
  webhookTimeoutMs: number;
  firstInvoiceId: number;
  controlToken: string | undefined;
}

export const DEFAULT_CRYPTOPAY_TOKEN = '12345:AAsimulatedCryptoPayToken0123456789';
export const DEFAULT_CRYPTOPAY_REDELIVERY: RetryPolicy = { initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000, maxAttempts: 17, horizonMs: 600_000 };

export function resolveCryptoPayOptions(options: CryptoPaySimOptions): ResolvedCryptoPayOptions {
  if (options.webhookUrl !== undefined) requireLoopbackUrl(options.webhookUrl);
  const token = options.token ?? DEFAULT_CRYPTOPAY_TOKEN;
  return {
    token,
    appId: options.appId ?? Number(/^(\d+):/.exec(token)?.[1] ?? 12345),
    appName: options.appName ?? 'Habit Tracker (sim)',
    bot: options.network === 'testnet' ? 'CryptoTestnetBot' : 'CryptoBot',
    webhookUrl: options.webhookUrl ?? null,
    redelivery: resolveRetryPolicy(DEFAULT_CRYPTOPAY_REDELIVERY, options.redelivery),
    webhookTimeoutMs: options.webhookTimeoutMs ?? 10_000,
    firstInvoiceId: options.firstInvoiceId ?? 100_001,
    controlToken: options.controlToken,
  };
}

/** A failure forced on the API; `processed`: do the work first, then fail. */
export interface ForcedCryptoPayFailure {
  code: number;
  name: string;
  processed: boolean;
}

export interface CryptoPayCounters {
  calls: Record<string, number>;
  errors: Record<string, number>;
}

export interface CryptoPaySimState {
  options: ResolvedCryptoPayOptions;
  webhookUrl: string | null;
  invoices: InvoiceStore;
  deliverer: NotificationDeliverer;
  faults: FaultPlan<ForcedCryptoPayFailure>;
  counters: CryptoPayCounters;
  nextUpdateId: number;
}

export function createCryptoPayState(options: ResolvedCryptoPayOptions): CryptoPaySimState {
  return {
    options,
    webhookUrl: options.webhookUrl,
    invoices: new InvoiceStore(options.firstInvoiceId, options.bot),
    deliverer: new NotificationDeliverer({
      policy: options.redelivery,
      attemptTimeoutMs: options.webhookTimeoutMs,
      accepts: (status) => status === 200,
      idPrefix: 'cp',
    }),
    faults: new FaultPlan<ForcedCryptoPayFailure>(),
    counters: { calls: {}, errors: {} },
    nextUpdateId: 1,
  };
}

export function resetCryptoPayState(state: CryptoPaySimState): void {
  state.webhookUrl = state.options.webhookUrl;
  state.invoices.clear();
  state.deliverer.reset();
  state.faults.reset();
  state.counters = { calls: {}, errors: {} };
  state.nextUpdateId = 1;
}
