/**
 * Payments and their life: created pending; paid by the (simulated) user
 * into waiting_for_capture (capture: false) or straight to succeeded;
 * captured; or canceled with cancellation_details. Objects carry the fields
 * of YooKassa's payment object.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ConfirmationRequest, CreatePaymentRequest } from './payment-request.ts';

export interface YkAmount {
  value: string;
  currency: string;
}

export type YkStatus = 'pending' | 'waiting_for_capture' | 'succeeded' | 'canceled';

export type YkConfirmation =
  | { type: 'redirect'; confirmation_url: string; return_url?: string; enforce?: boolean }
  | { type: 'embedded'; confirmation_token: string }
  | { type: 'external' }
  | { type: 'qr'; confirmation_data: string }
  | { type: 'mobile_application'; confirmation_url: string; return_url?: string };

export interface YkPayment {
  id: string;
  status: YkStatus;
  paid: boolean;
  amount: YkAmount;
  income_amount?: YkAmount;
  description?: string;
  recipient: { account_id: string; gateway_id: string };
  payment_method?: {
    type: string;
    id: string;
    saved: boolean;
    title: string;
    card: { first6: string; last4: string; expiry_year: string; expiry_month: string; card_type: string; issuer_country: string };
  };
  captured_at?: string;
  created_at: string;
  expires_at?: string;
  confirmation?: YkConfirmation;
  test: boolean;
  refunded_amount?: YkAmount;
  refundable: boolean;
  metadata: Record<string, string>;
  cancellation_details?: { party: string; reason: string };
  merchant_customer_id?: string;
}

/** Who canceled a payment and why (values of cancellation_details). */
export interface Cancellation {
  party: 'yoo_money' | 'payment_network' | 'merchant';
  reason: string;
}

/** Hours a payment may wait for capture before YooKassa cancels it. */
const CAPTURE_WINDOW_MS = 7 * 24 * 3600 * 1000;
/** Commission the simulated shop pays, for income_amount. */
const COMMISSION = 0.035;

/** "100" or "100.5" as "100.00" / "100.50". */
export function normalizeAmountValue(value: string): string {
  const [whole = '0', fraction = ''] = value.split('.');
  return `${BigInt(whole).toString()}.${fraction.padEnd(2, '0')}`;
}

function minorUnits(value: string): bigint {
  const [whole = '0', fraction = ''] = normalizeAmountValue(value).split('.');
  return BigInt(whole) * 100n + BigInt(fraction);
}

function fromMinorUnits(units: bigint): string {
  const whole = units / 100n;
  const fraction = (units % 100n).toString().padStart(2, '0');
  return `${whole.toString()}.${fraction}`;
}

/** A payment id shaped like YooKassa's: time-ordered head, fixed middle groups. */
export function newPaymentId(): string {
  const head = (Math.floor(Date.now() / 1000) & 0xffffffff).toString(16).padStart(8, '0');
  return `${head}-000f-5000-${['8000', '9000', 'a000', 'b000'][randomBytes(1)[0]! % 4]}-${randomBytes(6).toString('hex')}`;
}

function confirmationFor(request: ConfirmationRequest | undefined, id: string, confirmationBase: string): YkConfirmation | undefined {
  if (!request) return undefined;
  switch (request.type) {
    case 'redirect':
      return {
        type: 'redirect',
        confirmation_url: `${confirmationBase}/checkout/payments/v2/contract?orderId=${id}`,
        return_url: request.return_url,
        ...(request.enforce !== undefined ? { enforce: request.enforce } : {}),
      };
    case 'embedded':
      return { type: 'embedded', confirmation_token: `ct-${randomUUID()}` };
    case 'external':
      return { type: 'external' };
    case 'qr':
      return { type: 'qr', confirmation_data: `${confirmationBase}/qr/${id}` };
    case 'mobile_application':
      return { type: 'mobile_application', confirmation_url: `${confirmationBase}/checkout/payments/v2/contract?orderId=${id}`, return_url: request.return_url };
  }
}

export class PaymentStore {
  private readonly payments = new Map<string, YkPayment>();
  private readonly capture = new Map<string, boolean>();
  private readonly shopId: string;
  private readonly gatewayId: string;
  private readonly confirmationBase: string;

  constructor(shopId: string, gatewayId: string, confirmationBase: string) {
    this.shopId = shopId;
    this.gatewayId = gatewayId;
    this.confirmationBase = confirmationBase;
  }

  create(request: CreatePaymentRequest): YkPayment {
    const id = newPaymentId();
    const payment: YkPayment = {
      id,
      status: 'pending',
      paid: false,
      amount: { value: normalizeAmountValue(request.amount.value), currency: request.amount.currency },
      ...(request.description !== undefined ? { description: request.description } : {}),
      recipient: { account_id: this.shopId, gateway_id: this.gatewayId },
      created_at: new Date().toISOString(),
      ...(request.confirmation ? { confirmation: confirmationFor(request.confirmation, id, this.confirmationBase) } : {}),
      test: true,
      refundable: false,
      metadata: { ...(request.metadata ?? {}) },
      ...(request.merchant_customer_id !== undefined ? { merchant_customer_id: request.merchant_customer_id } : {}),
    };
    this.payments.set(id, payment);
    this.capture.set(id, request.capture ?? false);
    return payment;
  }

  get(id: string): YkPayment | undefined {
    return this.payments.get(id);
  }

  /** Newest first. */
  list(status?: YkStatus): YkPayment[] {
    return [...this.payments.values()].filter((p) => status === undefined || p.status === status).reverse();
  }

  /** The user paid: waiting_for_capture, or succeeded when the payment was created with capture: true. */
  pay(payment: YkPayment): YkPayment {
    const now = Date.now();
    payment.paid = true;
    payment.payment_method = {
      type: 'bank_card',
      id: payment.id,
      saved: false,
      title: 'Bank card *4477',
      card: { first6: '555555', last4: '4477', expiry_year: '2030', expiry_month: '12', card_type: 'MasterCard', issuer_country: 'RU' },
    };
    delete payment.confirmation;
    if (this.capture.get(payment.id)) return this.succeed(payment, payment.amount);
    payment.status = 'waiting_for_capture';
    payment.expires_at = new Date(now + CAPTURE_WINDOW_MS).toISOString();
    return payment;
  }

  /** Capture: the money is taken (all of it, or `amount`). */
  succeed(payment: YkPayment, amount: YkAmount): YkPayment {
    payment.status = 'succeeded';
    payment.paid = true;
    payment.amount = { value: normalizeAmountValue(amount.value), currency: amount.currency };
    const gross = minorUnits(payment.amount.value);
    const fee = BigInt(Math.round(Number(gross) * COMMISSION));
    payment.income_amount = { value: fromMinorUnits(gross - fee), currency: payment.amount.currency };
    payment.captured_at = new Date().toISOString();
    payment.refundable = true;
    payment.refunded_amount = { value: '0.00', currency: payment.amount.currency };
    delete payment.expires_at;
    delete payment.confirmation;
    return payment;
  }

  cancel(payment: YkPayment, cancellation: Cancellation): YkPayment {
    payment.status = 'canceled';
    payment.paid = false;
    payment.refundable = false;
    payment.cancellation_details = { party: cancellation.party, reason: cancellation.reason };
    delete payment.expires_at;
    delete payment.confirmation;
    return payment;
  }

  count(): number {
    return this.payments.size;
  }

  clear(): void {
    this.payments.clear();
    this.capture.clear();
  }
}

/** A deep copy, so what was sent or answered does not change with the payment. */
export function snapshot(payment: YkPayment): YkPayment {
  return structuredClone(payment);
}
