/**
 * The harness's handle on the YooKassa simulator, in process; the HTTP
 * control API under /_sim is a thin layer over it and takes the same bodies.
 */
import { z } from 'zod';
import { ControlError, parseControlBody } from '../shared/control-api.ts';
import type { LatencySetting } from '../shared/faults.ts';
import { requireLoopbackUrl } from '../shared/loopback-url.ts';
import type { DeliveryFilter, DeliveryRecord } from '../shared/notification-deliverer.ts';
import { notifyStatus, sendDuplicate, sendForged } from './notifications.ts';
import type { YkPayment, YkStatus } from './payments.ts';
import { snapshot } from './payments.ts';
import type { YooKassaCounters, YooKassaSimState } from './state.ts';
import { resetYooKassaState } from './state.ts';

const operation = z.enum(['create', 'get', 'list', 'capture', 'cancel', 'me']);

export const ForceFailureSchema = z
  .object({
    status: z.number().int().min(400).max(599).default(500),
    count: z.number().int().min(1).max(1_000_000).default(1),
    processed: z.boolean().default(false).describe('Do the work, then answer with the error (the client cannot know it happened).'),
    methods: z.array(operation).min(1).optional().describe('Only these operations fail; all when left out.'),
  })
  .strict();

export const CancelSchema = z
  .object({
    party: z.enum(['yoo_money', 'payment_network', 'merchant']).default('yoo_money'),
    reason: z.string().min(1).default('expired_on_confirmation'),
  })
  .strict();

export const DuplicateSchema = z.object({ delivery_id: z.string().optional(), payment_id: z.string().optional() }).strict();

export const ForgeSchema = z
  .object({
    payment_id: z.string().optional().describe('Payment the notification lies about; an unknown id when left out.'),
    event: z.enum(['payment.succeeded', 'payment.waiting_for_capture', 'payment.canceled']).default('payment.succeeded'),
    amount: z.object({ value: z.string(), currency: z.string() }).optional(),
  })
  .strict();

export const NotificationUrlSchema = z.object({ url: z.string().nullable() }).strict();

export type ForceFailureBody = z.input<typeof ForceFailureSchema>;
export type CancelBody = z.input<typeof CancelSchema>;
export type DuplicateBody = z.input<typeof DuplicateSchema>;
export type ForgeBody = z.input<typeof ForgeSchema>;

export interface YooKassaSimControl {
  /** Where notifications go; null stops sending them. Loopback URLs only. */
  setNotificationUrl(url: string | null): void;
  payment(id: string): YkPayment | undefined;
  payments(status?: YkStatus): YkPayment[];
  /** The user pays: waiting_for_capture or succeeded (per `capture`), and the notification goes out. */
  pay(paymentId: string): { payment: YkPayment; delivery: DeliveryRecord | null };
  /** The payment is canceled (by YooKassa by default), and the notification goes out. */
  cancel(paymentId: string, body?: CancelBody): { payment: YkPayment; delivery: DeliveryRecord | null };
  duplicate(body?: DuplicateBody): DeliveryRecord;
  forge(body?: ForgeBody): DeliveryRecord;
  deliveries(filter?: DeliveryFilter): DeliveryRecord[];
  forceFailure(body: ForceFailureBody): void;
  clearForcedFailures(): void;
  setLatency(latency: LatencySetting): void;
  hang(maxMs: number): void;
  clearHang(): void;
  counters(): YooKassaCounters & { notifications: ReturnType<YooKassaSimState['deliverer']['stats']> };
  reset(): void;
}

function pendingPayment(state: YooKassaSimState, id: string): YkPayment {
  const payment = state.payments.get(id);
  if (!payment) throw new ControlError(404, 'no_such_payment', `payment ${id} does not exist`);
  return payment;
}

export function createYooKassaControl(state: YooKassaSimState): YooKassaSimControl {
  return {
    setNotificationUrl: (url) => {
      if (url !== null) requireLoopbackUrl(url);
      state.notificationUrl = url;
    },
    payment: (id) => {
      const payment = state.payments.get(id);
      return payment ? snapshot(payment) : undefined;
    },
    payments: (status) => state.payments.list(status).map(snapshot),
    pay: (id) => {
      const payment = pendingPayment(state, id);
      if (payment.status !== 'pending') throw new ControlError(409, 'invalid_state', `payment ${id} is ${payment.status}, not pending`);
      state.payments.pay(payment);
      return { payment: snapshot(payment), delivery: notifyStatus(state, payment) };
    },
    cancel: (id, input = {}) => {
      const body = parseControlBody(CancelSchema, input);
      const payment = pendingPayment(state, id);
      if (payment.status !== 'pending' && payment.status !== 'waiting_for_capture') {
        throw new ControlError(409, 'invalid_state', `payment ${id} is ${payment.status} and cannot be canceled`);
      }
      state.payments.cancel(payment, body);
      return { payment: snapshot(payment), delivery: notifyStatus(state, payment) };
    },
    duplicate: (input = {}) => {
      const body = parseControlBody(DuplicateSchema, input);
      return sendDuplicate(state, body.delivery_id, body.payment_id);
    },
    forge: (input = {}) => sendForged(state, parseControlBody(ForgeSchema, input)),
    deliveries: (filter = {}) => state.deliverer.list(filter),
    forceFailure: (input) => {
      const body = parseControlBody(ForceFailureSchema, input);
      state.faults.force({ count: body.count, methods: body.methods, failure: { status: body.status, processed: body.processed } });
    },
    clearForcedFailures: () => state.faults.clearForced(),
    setLatency: (latency) => state.faults.setLatency(latency),
    hang: (maxMs) => state.faults.hang(maxMs),
    clearHang: () => state.faults.clearHang(),
    counters: () => ({ ...structuredClone(state.counters), notifications: state.deliverer.stats() }),
    reset: () => resetYooKassaState(state),
  };
}
