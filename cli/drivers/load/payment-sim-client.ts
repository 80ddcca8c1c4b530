/**
 * The harness's client for the YooKassa and Crypto Pay simulators, acting as
 * the provider: create a payment (or invoice) through the simulated API, make
 * the user pay it, resend or forge a notification, and read the delivery log
 * that says how the target answered each one.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { StackEndpoints } from '../../stack/types.ts';

export type PaymentProviderName = 'yookassa' | 'cryptopay';

/**
 * The forgeries the provider simulators can send. YooKassa signs nothing (the target must
 * re-read the payment): a paid or a canceled claim about a pending payment, or a claim about
 * a payment YooKassa never made. Crypto Pay signs every webhook: a paid-looking update signed
 * with another key, with no signature, with a valid signature of other bytes (tampered), or
 * about an invoice that does not exist.
 */
export const YOOKASSA_FORGERIES = ['paid-claim', 'canceled-claim', 'unknown-payment'] as const;
export const CRYPTOPAY_FORGERIES = ['bad-signature', 'missing-signature', 'tampered', 'unknown-payment'] as const;
export type ForgeryKind = (typeof YOOKASSA_FORGERIES)[number] | (typeof CRYPTOPAY_FORGERIES)[number];

/** One attempt of a notification, as the simulator logged it. */
export interface DeliveryAttempt {
  at: number;
  /** HTTP status of the target's answer, or null when none came. */
  status: number | null;
  error: string | null;
  latency_ms: number;
}

/** One notification sent by the simulator (genuine, duplicate or forged). */
export interface Delivery {
  id: string;
  kind: 'genuine' | 'duplicate' | 'forged';
  subject_id: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
}

/** A payment as the provider created it. */
export interface ProviderPayment {
  providerId: string;
  /** The key our side would have used; stored as the payment's idempotency_key. */
  idempotencyKey: string;
}

const TIMEOUT_MS = 5000;

export class PaymentSimClient {
  private readonly baseUrl: string;
  private readonly secrets: NonNullable<StackEndpoints['secrets']>;

  constructor(
    readonly provider: PaymentProviderName,
    endpoints: StackEndpoints,
  ) {
    const base = endpoints.sims?.[provider];
    if (!base) throw new Error(`this stack has no ${provider} simulator, so the webhooks load driver cannot run`);
    const url = new URL(base);
    if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && url.hostname !== '[::1]') {
      throw new Error(`refusing to drive the ${provider} simulator at ${url.host}: chaosctl targets loopback only`);
    }
    if (!endpoints.secrets) throw new Error(`the stack's endpoints carry no provider secrets, so the webhooks load driver cannot create ${provider} payments`);
    this.baseUrl = base;
    this.secrets = endpoints.secrets;
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const response = await request(new URL(path, this.baseUrl), {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${this.provider} sim ${method} ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text) as T;
  }

  /** Creates a payment that succeeds as soon as it is paid (YooKassa capture: true; a Crypto Pay fiat invoice). */
  async createPayment(amountMinor: number, currency: string): Promise<ProviderPayment> {
    const idempotencyKey = `chaosctl-${randomUUID()}`;
    const value = (amountMinor / 100).toFixed(2);
    if (this.provider === 'yookassa') {
      const auth = Buffer.from(`${this.secrets.yookassaShopId}:${this.secrets.yookassaSecretKey}`).toString('base64');
      const payment = await this.call<{ id: string }>(
        'POST',
        '/v3/payments',
        {
          amount: { value, currency },
          capture: true,
          confirmation: { type: 'redirect', return_url: 'https://t.me/' },
          description: 'chaosctl webhooks load',
          metadata: { idempotency_key: idempotencyKey },
        },
        { authorization: `Basic ${auth}`, 'idempotence-key': idempotencyKey },
      );
      return { providerId: payment.id, idempotencyKey };
    }
    const answer = await this.call<{ ok: boolean; result: { invoice_id: number } }>(
      'POST',
      '/api/createInvoice',
      { currency_type: 'fiat', fiat: currency, amount: value, description: 'chaosctl webhooks load', payload: idempotencyKey },
      { 'crypto-pay-api-token': this.secrets.cryptopayToken },
    );
    return { providerId: String(answer.result.invoice_id), idempotencyKey };
  }

  /** The user pays: the genuine notification goes out. Returns its delivery id. */
  async pay(providerId: string): Promise<string> {
    const path = this.provider === 'yookassa' ? `/_sim/payments/${encodeURIComponent(providerId)}/pay` : `/_sim/invoices/${encodeURIComponent(providerId)}/pay`;
    const answer = await this.call<{ delivery: Delivery | null }>('POST', path, {});
    if (!answer.delivery) throw new Error(`${this.provider} sim sent no notification for ${providerId} (is its notification URL set?)`);
    return answer.delivery.id;
  }

  /** The same bytes as the latest genuine notification about this payment, as a new delivery. */
  async duplicate(providerId: string): Promise<string> {
    const delivery =
      this.provider === 'yookassa'
        ? await this.call<Delivery>('POST', '/_sim/notifications/duplicate', { payment_id: providerId })
        : await this.call<Delivery>('POST', '/_sim/webhooks/duplicate', { invoice_id: Number(providerId) });
    return delivery.id;
  }

  /**
   * A notification the provider never sent about this (unpaid) payment, of the given kind
   * (default: a paid claim for YooKassa, a bad signature for Crypto Pay). unknown-payment
   * claims a payment or invoice the provider never made instead. Returns the delivery id and
   * the payment (or invoice) id the forgery names, under which its delivery is logged.
   */
  async forge(providerId: string, kind?: ForgeryKind): Promise<{ deliveryId: string; subjectId: string }> {
    const delivery =
      this.provider === 'yookassa'
        ? await this.call<Delivery>('POST', '/_sim/notifications/forged', yookassaForgery(providerId, kind ?? 'paid-claim'))
        : await this.call<Delivery>('POST', '/_sim/webhooks/forged', cryptopayForgery(providerId, kind ?? 'bad-signature'));
    return { deliveryId: delivery.id, subjectId: String(delivery.subject_id) };
  }

  /** Every delivery about this payment. */
  async deliveries(providerId: string): Promise<Delivery[]> {
    const key = this.provider === 'yookassa' ? 'payment_id' : 'invoice_id';
    const answer = await this.call<{ deliveries: Delivery[] }>('GET', `/_sim/deliveries?${key}=${encodeURIComponent(providerId)}`);
    return answer.deliveries;
  }
}

/** The YooKassa simulator's forge request for a kind: which event it claims, about which payment. */
export function yookassaForgery(providerId: string, kind: ForgeryKind): { payment_id?: string; event: string } {
  switch (kind) {
    case 'canceled-claim':
      return { payment_id: providerId, event: 'payment.canceled' };
    case 'unknown-payment':
      return { event: 'payment.succeeded' };
    case 'paid-claim':
      return { payment_id: providerId, event: 'payment.succeeded' };
    default:
      throw new Error(`the YooKassa simulator cannot send a ${kind} forgery`);
  }
}

/** The Crypto Pay simulator's forge request for a kind: how the signature is wrong, about which invoice. */
export function cryptopayForgery(providerId: string, kind: ForgeryKind): { invoice_id?: number; mode: 'bad_signature' | 'missing_signature' | 'tampered' } {
  switch (kind) {
    case 'bad-signature':
      return { invoice_id: Number(providerId), mode: 'bad_signature' };
    case 'missing-signature':
      return { invoice_id: Number(providerId), mode: 'missing_signature' };
    case 'tampered':
      return { invoice_id: Number(providerId), mode: 'tampered' };
    case 'unknown-payment':
      return { mode: 'bad_signature' };
    default:
      throw new Error(`the Crypto Pay simulator cannot send a ${kind} forgery`);
  }
}
