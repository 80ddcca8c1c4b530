/**
 * Crypto Pay API client: createInvoice with the Crypto-Pay-API-Token header,
 * 3 retries on timeout or connection error (§6). Crypto Pay has no
 * idempotency key, so an HTTP error answer is not retried: the invoice may
 * exist already, and a second one would be a second bill.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RetryPolicy } from './provider-http.ts';
import { ProviderError, requestOnce, withRetries } from './provider-http.ts';
import { minorToDecimal } from './yookassa-client.ts';

export interface CryptoPayClientOptions {
  /** API root including /api, e.g. https://pay.crypt.bot/api or the simulator's http://127.0.0.1:PORT/api. */
  apiUrl: string;
  token: string;
  retry?: Partial<RetryPolicy>;
}

export interface CryptoPayInvoice {
  invoiceId: number;
  status: string;
  amount: string;
  fiat: string | null;
  payUrl: string;
  payload: string | null;
}

export interface CreateInvoiceRequest {
  /** Minor units of `fiat`. */
  amount: number;
  fiat: string;
  description: string;
  /** Ours, echoed back in the webhook: the payment's idempotency key. */
  payload: string;
}

export interface CryptoPayClient {
  createInvoice(request: CreateInvoiceRequest): Promise<CryptoPayInvoice>;
}

export const DEFAULT_CRYPTOPAY_RETRY: RetryPolicy = { retryDelaysMs: [1000, 2000, 4000], attemptTimeoutMs: 10_000, overallTimeoutMs: 30_000 };

export function createCryptoPayClient(options: CryptoPayClientOptions): CryptoPayClient {
  const policy: RetryPolicy = { ...DEFAULT_CRYPTOPAY_RETRY, ...options.retry };
  const base = options.apiUrl.replace(/\/+$/, '');
  return {
    async createInvoice(request) {
      const body = JSON.stringify({
        currency_type: 'fiat',
        fiat: request.fiat,
        amount: minorToDecimal(request.amount),
        description: request.description.slice(0, 1024),
        payload: request.payload,
      });
      return withRetries('cryptopay', policy, async (timeoutMs) => {
        const answer = await requestOnce(
          'cryptopay',
          `${base}/createInvoice`,
          { method: 'POST', headers: { 'crypto-pay-api-token': options.token, 'content-type': 'application/json' }, body },
          timeoutMs,
        );
        const envelope = answer.body;
        if (!isRecord(envelope) || envelope.ok !== true || !isRecord(envelope.result)) {
          const error = isRecord(envelope) && isRecord(envelope.error) ? `${String(envelope.error.code)} ${String(envelope.error.name)}` : `HTTP ${answer.status}`;
          throw new ProviderError('cryptopay', 'http', `Crypto Pay createInvoice: ${error}`, { status: answer.status, retryable: false });
        }
        return toInvoice(envelope.result);
      });
    },
  };
}

/** The webhook signature Crypto Pay sends: hex HMAC-SHA-256 of the raw body, keyed with SHA-256(token). */
export function cryptoPaySignature(token: string, rawBody: Buffer | string): string {
  const key = createHash('sha256').update(token).digest();
  return createHmac('sha256', key).update(rawBody).digest('hex');
}

/** Constant-time check of a crypto-pay-api-signature header against the raw body. */
export function verifyCryptoPaySignature(token: string, rawBody: Buffer, header: string | undefined): boolean {
  if (header === undefined || !/^[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(cryptoPaySignature(token, rawBody), 'hex');
  const given = Buffer.from(header, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An Invoice object (from createInvoice or a webhook's payload). */
export function toInvoice(value: unknown): CryptoPayInvoice {
  if (!isRecord(value) || typeof value.invoice_id !== 'number' || typeof value.status !== 'string') {
    throw new ProviderError('cryptopay', 'http', `Crypto Pay answered an unexpected invoice: ${JSON.stringify(value).slice(0, 200)}`, { retryable: false });
  }
  const payUrl = typeof value.bot_invoice_url === 'string' ? value.bot_invoice_url : typeof value.pay_url === 'string' ? value.pay_url : '';
  return {
    invoiceId: value.invoice_id,
    status: value.status,
    amount: String(value.amount),
    fiat: typeof value.fiat === 'string' ? value.fiat : null,
    payUrl,
    payload: typeof value.payload === 'string' ? value.payload : null,
  };
}
