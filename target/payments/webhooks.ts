/**
 * Payment webhooks (L9, C6, C7, C8):
 * - POST /webhooks/cryptopay: crypto-pay-api-signature must be the hex
 *   HMAC-SHA-256 of the raw body keyed with SHA-256(token), compared in
 *   constant time;
 * - POST /webhooks/yookassa: YooKassa signs nothing, so the sender's address
 *   must be on the allowlist and the payment is read back from the YooKassa
 *   API; only its real state is acted on. A 4xx on that re-read (but 429)
 *   is YooKassa disowning the id: forged. A 5xx, 429 or no answer is an
 *   outage: 503, no alert, YooKassa redelivers.
 * Unverifiable → 400, nothing processed, CRITICAL admin alert from source
 * payment_webhook (§4, §7.7). Database unavailable → 503 so the provider
 * redelivers (C6). A duplicate → 200 and no second credit (C7, creditPayment).
 */
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Alerts } from '../contracts.ts';
import type { Db } from '../db/handle.ts';
import type { Metrics } from '../metrics/registry.ts';
import { creditPayment } from '../repos/payment-credits.ts';
import type { Payment, PaymentProvider } from '../repos/payments.ts';
import { findPaymentByIdempotencyKey, findPaymentByProviderId, markPaymentCanceled, markPaymentSucceeded, recordProviderId } from '../repos/payments.ts';
import { PaymentStateError } from '../repos/repo-errors.ts';
import { ProviderError } from './provider-http.ts';
import { toInvoice, verifyCryptoPaySignature } from './cryptopay-client.ts';
import type { YooKassaClient, YooKassaPayment } from './yookassa-client.ts';
import { decimalToMinor } from './yookassa-client.ts';

/** YooKassa's published notification senders (https://yookassa.ru/developers/using-api/webhooks). */
export const YOOKASSA_NOTIFICATION_IPS = ['185.71.76.0/27', '185.71.77.0/27', '77.75.153.0/25', '77.75.156.11', '77.75.156.35', '77.75.154.128/25', '2a02:5180::/32'] as const;

export interface WebhookLogger {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface PaymentWebhookDeps {
  db: Db;
  /** Admin alerts for verification failures (critical, source payment_webhook). */
  alerts?: Alerts;
  /** Enables POST /webhooks/cryptopay: the app's API token (the signature key derives from it). */
  cryptoPayToken?: string;
  /** Enables POST /webhooks/yookassa: the client used to read the payment back. */
  yookassa?: YooKassaClient;
  /** Addresses or CIDR ranges YooKassa notifications may come from (default YOOKASSA_NOTIFICATION_IPS; tests use ['127.0.0.1']). */
  yookassaAllowedIps?: readonly string[];
  /** Called after a payment was credited for the first time (e.g. to tell the user); errors are logged. */
  onCredited?: (payment: Payment) => Promise<void>;
  logger?: WebhookLogger;
  metrics?: Metrics;
}

type Outcome = 'credited' | 'duplicate' | 'ignored' | 'rejected' | 'db_unavailable' | 'lost';

const SILENT: WebhookLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const BODY_LIMIT = 256 * 1024;

/** Mounts both webhook routes in their own encapsulated scope (raw-body parsing stays inside it). */
export function registerPaymentWebhooks(app: FastifyInstance, deps: PaymentWebhookDeps): void {
  void app.register(async (scope) => paymentWebhooksPlugin(scope, deps));
}

/** The plugin itself, for `app.register(paymentWebhooksPlugin, deps)`. */
export async function paymentWebhooksPlugin(scope: FastifyInstance, deps: PaymentWebhookDeps): Promise<void> {
  const { db } = deps;
  const logger = deps.logger ?? SILENT;
  const unverified = db.sabotage.has('webhook-signature');
  // Sabotage: the signature is checked only when one is sent, the bug of a receiver that
  // treats a missing header as "nothing to check".
  const unsignedPasses = db.sabotage.has('webhook-missing-signature');
  const allow = (deps.yookassaAllowedIps ?? YOOKASSA_NOTIFICATION_IPS).map(parseRange);

  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (_request, body, done) => done(null, body));

  const finish = (reply: FastifyReply, provider: PaymentProvider, outcome: Outcome, code: number, message: string): FastifyReply => {
    deps.metrics?.webhooks.inc({ provider, outcome });
    return reply.code(code).send({ ok: code === 200, result: message });
  };

  const rejected = async (reply: FastifyReply, provider: PaymentProvider, reason: string, ip: string): Promise<FastifyReply> => {
    logger.warn({ provider, reason, ip }, 'payment webhook failed verification; not processed');
    // The answer does not wait for the alert: delivering it may wait out Telegram 429s, and a
    // webhook must be answered in < 3 s (L9). The alert service keeps what it cannot send yet.
    deps.alerts
      ?.raise({
        event: 'webhook_verify_failed',
        severity: 'critical',
        source: 'payment_webhook',
        text: 'YooKassa/CryptoBot verification failed',
        details: { provider, reason, ip },
      })
      .catch((error: unknown) => logger.error({ err: error }, 'cannot raise the webhook verification alert'));
    return finish(reply, provider, 'rejected', 400, 'verification failed');
  };

  /** Marks succeeded and credits; the DB errors propagate (→ 503). */
  const settle = async (reply: FastifyReply, provider: PaymentProvider, payment: Payment): Promise<FastifyReply> => {
    try {
      await markPaymentSucceeded(db, payment.id);
    } catch (error) {
      if (error instanceof PaymentStateError) {
        logger.warn({ paymentId: payment.id, status: error.status }, 'paid notification for a payment that cannot succeed; ignored');
        return finish(reply, provider, 'ignored', 200, 'ignored');
      }
      throw error;
    }
    const credit = await creditPayment(db, payment.id);
    if (credit === 'already') return finish(reply, provider, 'duplicate', 200, 'already credited');
    logger.info({ provider, paymentId: payment.id, amount: payment.amount }, 'payment credited');
    if (deps.onCredited) deps.onCredited(payment).catch((error: unknown) => logger.warn({ err: error, paymentId: payment.id }, 'onCredited failed'));
    return finish(reply, provider, 'credited', 200, 'credited');
  };

  /** Runs the database part; a failure there is the provider's cue to redeliver (C6). */
  const withDb = async (reply: FastifyReply, provider: PaymentProvider, work: () => Promise<FastifyReply>): Promise<FastifyReply> => {
    try {
      return await work();
    } catch (error) {
      if (db.sabotage.has('webhook-db-down-200')) {
        logger.error({ err: error, provider }, 'payment webhook could not be processed; answered 200 anyway (sabotage webhook-db-down-200): notification lost');
        return finish(reply, provider, 'lost', 200, 'ok');
      }
      logger.error({ err: error, provider }, 'payment webhook could not be processed; 503 so the provider redelivers');
      return finish(reply, provider, 'db_unavailable', 503, 'temporarily unavailable');
    }
  };

  if (deps.cryptoPayToken !== undefined) {
    const token = deps.cryptoPayToken;
    scope.post('/webhooks/cryptopay', async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = request.headers['crypto-pay-api-signature'];
      const skipCheck = unverified || (unsignedPasses && header === undefined);
      if (!skipCheck && !verifyCryptoPaySignature(token, raw, typeof header === 'string' ? header : undefined)) {
        return rejected(reply, 'cryptopay', header === undefined ? 'missing signature' : 'bad signature', request.ip);
      }
      let update: unknown;
      try {
        update = JSON.parse(raw.toString('utf8'));
      } catch {
        return rejected(reply, 'cryptopay', 'body is not JSON', request.ip);
      }
      if (!isRecord(update) || update.update_type !== 'invoice_paid') return finish(reply, 'cryptopay', 'ignored', 200, 'ignored');
      let invoice;
      try {
        invoice = toInvoice(update.payload);
      } catch {
        return rejected(reply, 'cryptopay', 'payload is not an invoice', request.ip);
      }
      if (invoice.status !== 'paid') return finish(reply, 'cryptopay', 'ignored', 200, 'ignored');
      return withDb(reply, 'cryptopay', async () => {
        const invoiceId = String(invoice.invoiceId);
        let payment = await findPaymentByProviderId(db, 'cryptopay', invoiceId);
        if (!payment && invoice.payload !== null) {
          // createInvoice's answer may have been lost; our key rides in the payload.
          const byKey = await findPaymentByIdempotencyKey(db, invoice.payload);
          if (byKey?.provider === 'cryptopay' && byKey.providerPaymentId === null) payment = await recordProviderId(db, byKey.id, invoiceId);
        }
        if (!payment) {
          logger.warn({ invoiceId }, 'paid invoice matches no payment; ignored');
          return finish(reply, 'cryptopay', 'ignored', 200, 'unknown invoice');
        }
        return settle(reply, 'cryptopay', payment);
      });
    });
  }

  const yookassa = deps.yookassa;
  if (yookassa) {
    scope.post('/webhooks/yookassa', async (request, reply) => {
      if (!unverified && !allow.some((range) => inRange(range, request.ip))) return rejected(reply, 'yookassa', 'sender not on the allowlist', request.ip);
      let notification: unknown;
      try {
        notification = JSON.parse((Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)).toString('utf8'));
      } catch {
        return rejected(reply, 'yookassa', 'body is not JSON', request.ip);
      }
      const object = isRecord(notification) && isRecord(notification.object) ? notification.object : null;
      const claimedId = object && typeof object.id === 'string' ? object.id : null;
      const event = isRecord(notification) && typeof notification.event === 'string' ? notification.event : '';
      if (claimedId === null) return rejected(reply, 'yookassa', 'no payment id', request.ip);

      let real: YooKassaPayment | null;
      if (unverified) {
        // Sabotaged: believe the body.
        real = { id: claimedId, status: event === 'payment.succeeded' ? 'succeeded' : event === 'payment.canceled' ? 'canceled' : 'pending', paid: true, amount: { value: '0', currency: '' }, confirmationUrl: null, metadata: {} };
      } else {
        try {
          real = await yookassa.getPayment(claimedId);
        } catch (error) {
          // YooKassa refusing the id (a 4xx other than its rate limit) is its answer about the
          // claim: no such payment of ours, so the notification is forged. Answering 503 there
          // would let a forger make YooKassa look down and hide the attempt from the admins.
          if (error instanceof ProviderError && error.kind === 'http' && error.status !== undefined && error.status >= 400 && error.status < 500 && error.status !== 429) {
            return rejected(reply, 'yookassa', `YooKassa refused payment ${claimedId} (HTTP ${error.status})`, request.ip);
          }
          // YooKassa cannot be asked right now: not a forgery; let it redeliver.
          logger.warn({ err: error, paymentId: claimedId }, 'cannot read the payment back from YooKassa; 503');
          return finish(reply, 'yookassa', 'db_unavailable', 503, 'cannot verify now');
        }
        if (!real) return rejected(reply, 'yookassa', `payment ${claimedId} unknown to YooKassa`, request.ip);
        const claimedStatus = event.startsWith('payment.') ? event.slice('payment.'.length) : '';
        if (claimedStatus !== real.status) return rejected(reply, 'yookassa', `notification says ${event}, YooKassa says ${real.status}`, request.ip);
      }
      const verified = real;
      return withDb(reply, 'yookassa', async () => {
        const payment = await findPaymentByProviderId(db, 'yookassa', verified.id);
        if (!payment) {
          logger.warn({ providerId: verified.id }, 'YooKassa notification matches no payment; ignored');
          return finish(reply, 'yookassa', 'ignored', 200, 'unknown payment');
        }
        if (!unverified && (decimalToMinor(verified.amount.value) !== payment.amount || verified.amount.currency !== payment.currency)) {
          return rejected(reply, 'yookassa', `amount ${verified.amount.value} ${verified.amount.currency} differs from payment ${payment.id}`, request.ip);
        }
        if (verified.status === 'succeeded') return settle(reply, 'yookassa', payment);
        if (verified.status === 'canceled') {
          try {
            await markPaymentCanceled(db, payment.id, 'canceled at YooKassa');
          } catch (error) {
            if (!(error instanceof PaymentStateError)) throw error;
          }
          return finish(reply, 'yookassa', 'ignored', 200, 'canceled');
        }
        return finish(reply, 'yookassa', 'ignored', 200, 'ignored');
      });
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface IpRange {
  version: 4 | 6;
  bits: bigint;
  prefix: number;
}

function ipToBigInt(ip: string): { version: 4 | 6; value: bigint } | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped?.[1] ?? ip;
  const version = isIP(address);
  if (version === 4) return { version: 4, value: address.split('.').reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n) };
  if (version !== 6) return null;
  const [head = '', tail = ''] = address.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const parts = address.includes('::') ? [...headParts, ...Array<string>(8 - headParts.length - tailParts.length).fill('0'), ...tailParts] : headParts;
  return { version: 6, value: parts.reduce((acc, part) => (acc << 16n) + BigInt(parseInt(part || '0', 16)), 0n) };
}

function parseRange(spec: string): IpRange {
  const [address = '', prefixText] = spec.split('/');
  const parsed = ipToBigInt(address);
  if (!parsed) throw new Error(`not an IP address or CIDR range: ${spec}`);
  const width = parsed.version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) throw new Error(`bad prefix in ${spec}`);
  return { version: parsed.version, bits: parsed.value >> BigInt(width - prefix), prefix };
}

function inRange(range: IpRange, ip: string): boolean {
  const parsed = ipToBigInt(ip);
  if (!parsed || parsed.version !== range.version) return false;
  const width = parsed.version === 4 ? 32 : 128;
  return parsed.value >> BigInt(width - range.prefix) === range.bits;
}
