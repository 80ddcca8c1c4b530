/**
 * YooKassa API v3 client: create a payment (Basic auth, Idempotence-Key kept
 * the same on every retry, 3 retries after 1/2/4 s on timeout, connection
 * error or 5xx, 30 s overall: L8, B6, §6) and read one back (the webhook's
 * verification, C8).
 */
import { randomUUID } from 'node:crypto';
import type { HttpAnswer, RetryPolicy } from './provider-http.ts';
import { ProviderError, requestOnce, withRetries } from './provider-http.ts';

export interface YooKassaClientOptions {
  /** API root including /v3, e.g. https://api.yookassa.ru/v3 or the simulator's http://127.0.0.1:PORT/v3. */
  apiUrl: string;
  shopId: string;
  secretKey: string;
  retry?: Partial<RetryPolicy>;
  /** Bound on the single read of a webhook's payment (default 2000 ms, so the webhook stays under 3 s: L9). */
  getTimeoutMs?: number;
}

export interface YooKassaPayment {
  id: string;
  status: 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';
  paid: boolean;
  amount: { value: string; currency: string };
  confirmationUrl: string | null;
  metadata: Record<string, string>;
}

export interface CreateYooKassaPayment {
  idempotenceKey: string;
  /** Minor units (kopecks). */
  amount: number;
  currency: string;
  description: string;
  returnUrl: string;
  metadata?: Record<string, string>;
  /**
   * Only for the sabotage switch `payment-idempotency-key`: every retry sends
   * a new Idempotence-Key instead of `idempotenceKey`, so YooKassa cannot tell
   * a retry from a new payment.
   */
  freshKeyPerAttempt?: boolean;
}

export interface YooKassaClient {
  createPayment(request: CreateYooKassaPayment): Promise<YooKassaPayment>;
  /** The payment as YooKassa has it; null when it does not exist. One attempt. */
  getPayment(id: string): Promise<YooKassaPayment | null>;
}

export const DEFAULT_YOOKASSA_RETRY: RetryPolicy = { retryDelaysMs: [1000, 2000, 4000], attemptTimeoutMs: 10_000, overallTimeoutMs: 30_000 };

/** "299.00" from 29900 kopecks. */
export function minorToDecimal(amount: number): string {
  return `${Math.trunc(amount / 100)}.${String(amount % 100).padStart(2, '0')}`;
}

/** 29900 from "299.00" (or "299", "299.5"). NaN when not a decimal. */
export function decimalToMinor(value: string): number {
  const match = /^(\d+)(?:\.(\d{1,2}))?$/.exec(value.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

export function createYooKassaClient(options: YooKassaClientOptions): YooKassaClient {
  const policy: RetryPolicy = { ...DEFAULT_YOOKASSA_RETRY, ...options.retry };
  const base = options.apiUrl.replace(/\/+$/, '');
  const authorization = `Basic ${Buffer.from(`${options.shopId}:${options.secretKey}`).toString('base64')}`;

  const failIfNotOk = (answer: HttpAnswer, what: string): void => {
    if (answer.status >= 200 && answer.status < 300) return;
    const description = isRecord(answer.body) && typeof answer.body.description === 'string' ? answer.body.description : JSON.stringify(answer.body).slice(0, 200);
    throw new ProviderError('yookassa', 'http', `YooKassa ${what}: HTTP ${answer.status} ${description}`, { status: answer.status, retryable: answer.status >= 500 });
  };

  return {
    async createPayment(request) {
      const body = JSON.stringify({
        amount: { value: minorToDecimal(request.amount), currency: request.currency },
        capture: true,
        confirmation: { type: 'redirect', return_url: request.returnUrl },
        description: request.description.slice(0, 128),
        metadata: request.metadata ?? {},
      });
      let attempts = 0;
      return withRetries('yookassa', policy, async (timeoutMs) => {
        attempts += 1;
        // The same key on every attempt is what lets YooKassa answer a retry with the payment the lost answer was about.
        const key = request.freshKeyPerAttempt && attempts > 1 ? randomUUID() : request.idempotenceKey;
        const answer = await requestOnce(
          'yookassa',
          `${base}/payments`,
          { method: 'POST', headers: { authorization, 'content-type': 'application/json', 'idempotence-key': key }, body },
          timeoutMs,
        );
        failIfNotOk(answer, 'create payment');
        return toPayment(answer.body);
      });
    },
    async getPayment(id) {
      const answer = await requestOnce('yookassa', `${base}/payments/${encodeURIComponent(id)}`, { method: 'GET', headers: { authorization } }, options.getTimeoutMs ?? 2000);
      if (answer.status === 404) return null;
      failIfNotOk(answer, 'get payment');
      return toPayment(answer.body);
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function toPayment(body: unknown): YooKassaPayment {
  if (!isRecord(body) || typeof body.id !== 'string' || typeof body.status !== 'string' || !isRecord(body.amount)) {
    throw new ProviderError('yookassa', 'http', `YooKassa answered an unexpected payment object: ${JSON.stringify(body).slice(0, 200)}`, { retryable: false });
  }
  const confirmation = isRecord(body.confirmation) && typeof body.confirmation.confirmation_url === 'string' ? body.confirmation.confirmation_url : null;
  const metadata: Record<string, string> = {};
  if (isRecord(body.metadata)) for (const [key, value] of Object.entries(body.metadata)) if (typeof value === 'string') metadata[key] = value;
  return {
    id: body.id,
    status: body.status as YooKassaPayment['status'],
    paid: body.paid === true,
    amount: { value: String(body.amount.value), currency: String(body.amount.currency) },
    confirmationUrl: confirmation,
    metadata,
  };
}
