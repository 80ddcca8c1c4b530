/**
 * Options and state of the YooKassa simulator.
 */
import type { SimTls } from '../shared/tls-listener.ts';
import type { FastifyBaseLogger } from 'fastify';
import type { RetryPolicy } from '../shared/backoff.ts';
import { resolveRetryPolicy } from '../shared/backoff.ts';
import { FaultPlan } from '../shared/faults.ts';
import { requireLoopbackUrl } from '../shared/loopback-url.ts';
import { NotificationDeliverer } from '../shared/notification-deliverer.ts';
import { IdempotenceStore } from './idempotence.ts';
import { PaymentStore } from './payments.ts';

export interface YooKassaSimOptions {
  /** Basic-auth user name (default "100500"). */
  shopId?: string;
  /** Basic-auth password (default "test_simulated_secret_key"). */
  secretKey?: string;
  /** recipient.gateway_id of every payment (default "100700"). */
  gatewayId?: string;
  /** Where notifications go (loopback only); none are sent until one is set. */
  notificationUrl?: string;
  /** Redelivery of refused notifications (default 1 s doubling to 60 s, 50 attempts, within 10 min; the real horizon is 24 h). */
  redelivery?: Partial<RetryPolicy>;
  /** How long one notification POST may take (default 10 000 ms). */
  notificationTimeoutMs?: number;
  /** How long an Idempotence-Key is remembered (default 24 h). */
  idempotenceTtlMs?: number;
  /** Base of confirmation URLs (default https://yoomoney.ru; nothing is ever fetched from it). */
  confirmationUrlBase?: string;
  /** When set, /_sim/* requires it in the x-sim-control-token header. */
  controlToken?: string;
  logger?: FastifyBaseLogger;
  /** Certificate and key: the port answers HTTPS as well as HTTP (see shared/tls-listener.ts). */
  tls?: SimTls;
}

export interface ResolvedYooKassaOptions {
  shopId: string;
  secretKey: string;
  gatewayId: string;
  notificationUrl: string | null;
  redelivery: RetryPolicy;
  notificationTimeoutMs: number;
  idempotenceTtlMs: number;
  confirmationUrlBase: string;
  controlToken: string | undefined;
}

export const DEFAULT_YOOKASSA_REDELIVERY: RetryPolicy = { initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000, maxAttempts: 50, horizonMs: 600_000 };

export function resolveYooKassaOptions(options: YooKassaSimOptions): ResolvedYooKassaOptions {
  if (options.notificationUrl !== undefined) requireLoopbackUrl(options.notificationUrl);
  return {
    shopId: options.shopId ?? '100500',
    secretKey: options.secretKey ?? 'test_simulated_secret_key',
    gatewayId: options.gatewayId ?? '100700',
    notificationUrl: options.notificationUrl ?? null,
    redelivery: resolveRetryPolicy(DEFAULT_YOOKASSA_REDELIVERY, options.redelivery),
    notificationTimeoutMs: options.notificationTimeoutMs ?? 10_000,
    idempotenceTtlMs: options.idempotenceTtlMs ?? 24 * 3600 * 1000,
    confirmationUrlBase: options.confirmationUrlBase ?? 'https://yoomoney.ru',
    controlToken: options.controlToken,
  };
}

/** A failure forced on the API; `processed`: do the work first, then fail (the outcome is unknown to the client). */
export interface ForcedYooKassaFailure {
  status: number;
  processed: boolean;
}

/** API operations, as forced failures and counters name them. */
export type YooKassaOperation = 'create' | 'get' | 'list' | 'capture' | 'cancel' | 'me';

export interface YooKassaCounters {
  requests: Record<string, number>;
  errors: Record<string, number>;
  idempotent_replays: number;
}

export interface YooKassaSimState {
  options: ResolvedYooKassaOptions;
  notificationUrl: string | null;
  payments: PaymentStore;
  idempotence: IdempotenceStore;
  deliverer: NotificationDeliverer;
  faults: FaultPlan<ForcedYooKassaFailure>;
  counters: YooKassaCounters;
}

export function createYooKassaState(options: ResolvedYooKassaOptions): YooKassaSimState {
  return {
    options,
    notificationUrl: options.notificationUrl,
    payments: new PaymentStore(options.shopId, options.gatewayId, options.confirmationUrlBase),
    idempotence: new IdempotenceStore(options.idempotenceTtlMs),
    deliverer: new NotificationDeliverer({
      policy: options.redelivery,
      attemptTimeoutMs: options.notificationTimeoutMs,
      accepts: (status) => status === 200,
      idPrefix: 'yk',
    }),
    faults: new FaultPlan<ForcedYooKassaFailure>(),
    counters: { requests: {}, errors: {}, idempotent_replays: 0 },
  };
}

export function resetYooKassaState(state: YooKassaSimState): void {
  state.notificationUrl = state.options.notificationUrl;
  state.payments.clear();
  state.idempotence.clear();
  state.deliverer.reset();
  state.faults.reset();
  state.counters = { requests: {}, errors: {}, idempotent_replays: 0 };
}
