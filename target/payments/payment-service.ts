/**
 * Top-ups (seed §1.3, L8, C5): a pending payment under our idempotency key,
 * then the provider call, then the provider's id recorded. A provider that
 * fails or times out leaves the payment `failed` with the error, and the
 * caller gets a message the bot can show; the user retries with a new key.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/handle.ts';
import { queryRepeatable } from '../db/query.ts';
import type { Payment, PaymentProvider } from '../repos/payments.ts';
import { createPendingPayment, getPayment, markPaymentFailed, recordProviderId } from '../repos/payments.ts';
import type { CryptoPayClient } from './cryptopay-client.ts';
import { ProviderError } from './provider-http.ts';
import type { YooKassaClient } from './yookassa-client.ts';

export type TopupResult = { ok: true; paymentId: number; confirmationUrl: string } | { ok: false; error: string };

export interface PaymentService {
  /**
   * Starts a top-up of `amount` minor units (kopecks) for user `userId`
   * (users.id, not the Telegram id). Calls with the same `idempotencyKey`
   * make one payment at the provider (L8); without one, each call is a new
   * payment.
   */
  createTopup(userId: number, amount: number, provider?: PaymentProvider, idempotencyKey?: string): Promise<TopupResult>;
}

export interface PaymentServiceLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface PaymentServiceOptions {
  db: Db;
  yookassa?: YooKassaClient;
  cryptopay?: CryptoPayClient;
  defaultProvider?: PaymentProvider;
  /** Where YooKassa sends the user after paying. */
  returnUrl?: string;
  currency?: string;
  logger?: PaymentServiceLogger;
}

/** Texts the user sees (C5: an error, and a way to retry). */
export const TOPUP_ERRORS = {
  timeout: 'The payment service did not answer in time. No money was taken; please try again.',
  unavailable: 'The payment service is unavailable right now. No money was taken; please try again later.',
  rejected: 'The payment could not be created. Please try again.',
  failedBefore: 'This payment attempt failed earlier. Please start a new top-up.',
  noProvider: 'This payment method is not available.',
  internal: 'Something went wrong on our side. Please try again in a minute.',
} as const;

const SILENT: PaymentServiceLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function createPaymentService(options: PaymentServiceOptions): PaymentService {
  const { db } = options;
  const logger = options.logger ?? SILENT;
  const currency = options.currency ?? 'RUB';
  const returnUrl = options.returnUrl ?? 'https://t.me/';
  /** Concurrent calls in this process with the same key share one provider call. */
  const inflight = new Map<string, Promise<TopupResult>>();

  const storeConfirmationUrl = async (paymentId: number, url: string): Promise<void> => {
    await queryRepeatable(db, 'UPDATE payments SET confirmation_url = $2 WHERE id = $1', [paymentId, url]);
  };
  const readConfirmationUrl = async (paymentId: number): Promise<string | null> => {
    const { rows } = await queryRepeatable<{ confirmation_url: string | null }>(db, 'SELECT confirmation_url FROM payments WHERE id = $1', [paymentId]);
    return rows[0]?.confirmation_url ?? null;
  };

  const callProvider = async (payment: Payment): Promise<{ providerId: string; url: string }> => {
    if (payment.provider === 'yookassa') {
      if (!options.yookassa) throw new Error('YooKassa is not configured');
      const created = await options.yookassa.createPayment({
        idempotenceKey: payment.idempotencyKey,
        amount: payment.amount,
        currency: payment.currency,
        description: `Balance top-up #${payment.id}`,
        returnUrl,
        metadata: { payment_id: String(payment.id), idempotency_key: payment.idempotencyKey },
        ...(db.sabotage.has('payment-idempotency-key') ? { freshKeyPerAttempt: true } : {}),
      });
      return { providerId: created.id, url: created.confirmationUrl ?? '' };
    }
    if (!options.cryptopay) throw new Error('Crypto Pay is not configured');
    const invoice = await options.cryptopay.createInvoice({ amount: payment.amount, fiat: payment.currency, description: `Balance top-up #${payment.id}`, payload: payment.idempotencyKey });
    return { providerId: String(invoice.invoiceId), url: invoice.payUrl };
  };

  const create = async (userId: number, amount: number, provider: PaymentProvider, key: string): Promise<TopupResult> => {
    if (provider === 'yookassa' ? !options.yookassa : !options.cryptopay) return { ok: false, error: TOPUP_ERRORS.noProvider };
    let payment: Payment;
    try {
      ({ payment } = await createPendingPayment(db, { idempotencyKey: key, userId, provider, amount, currency, purpose: 'topup' }));
    } catch (error) {
      logger.error({ err: error, userId }, 'cannot create the pending payment');
      return { ok: false, error: TOPUP_ERRORS.internal };
    }
    if (payment.status === 'failed') return { ok: false, error: TOPUP_ERRORS.failedBefore };
    if (payment.providerPaymentId !== null) {
      const url = await readConfirmationUrl(payment.id).catch(() => null);
      if (url !== null) return { ok: true, paymentId: payment.id, confirmationUrl: url };
      if (payment.provider === 'cryptopay') return { ok: false, error: TOPUP_ERRORS.internal };
      // YooKassa: asking again with the same Idempotence-Key returns the same payment.
    }

    let created: { providerId: string; url: string };
    try {
      created = await callProvider(payment);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Sabotage `payment-failed-status`: the payment that gave up stays pending, as if it might still go through.
      if (!db.sabotage.has('payment-failed-status')) {
        await markPaymentFailed(db, payment.id, message).catch((markError: unknown) => logger.error({ err: markError, paymentId: payment.id }, 'cannot mark the payment failed'));
      }
      logger.warn({ paymentId: payment.id, provider, error: message }, 'create_payment failed');
      if (error instanceof ProviderError) return { ok: false, error: error.kind === 'timeout' ? TOPUP_ERRORS.timeout : error.kind === 'connection' || (error.status ?? 0) >= 500 ? TOPUP_ERRORS.unavailable : TOPUP_ERRORS.rejected };
      return { ok: false, error: TOPUP_ERRORS.rejected };
    }
    try {
      await recordProviderId(db, payment.id, created.providerId);
      await storeConfirmationUrl(payment.id, created.url);
    } catch (error) {
      // The provider has the payment; its webhook finds ours through the payload or metadata.
      logger.error({ err: error, paymentId: payment.id, providerId: created.providerId }, 'provider payment created but not recorded');
      const current = await getPayment(db, payment.id).catch(() => null);
      if (current?.providerPaymentId !== created.providerId) return { ok: false, error: TOPUP_ERRORS.internal };
    }
    logger.info({ paymentId: payment.id, provider, providerId: created.providerId }, 'payment created');
    return { ok: true, paymentId: payment.id, confirmationUrl: created.url };
  };

  return {
    createTopup(userId, amount, provider, idempotencyKey) {
      const key = idempotencyKey ?? randomUUID();
      const existing = inflight.get(key);
      if (existing) return existing;
      const promise = create(userId, amount, provider ?? options.defaultProvider ?? 'yookassa', key).finally(() => inflight.delete(key));
      inflight.set(key, promise);
      return promise;
    },
  };
}
