/**
 * Notifications to the shop: `{ type: "notification", event, object }` POSTed
 * to the notification URL, sent again until the shop answers 200. YooKassa
 * does not sign them: a careful shop re-reads the payment through the API,
 * which is what a forged notification here puts to the test.
 */
import { ControlError } from '../shared/control-api.ts';
import type { DeliveryRecord } from '../shared/notification-deliverer.ts';
import type { YkPayment, YkStatus } from './payments.ts';
import { newPaymentId, snapshot } from './payments.ts';
import type { YooKassaSimState } from './state.ts';

export type YooKassaEvent = 'payment.waiting_for_capture' | 'payment.succeeded' | 'payment.canceled';

export interface YooKassaNotification {
  type: 'notification';
  event: YooKassaEvent;
  object: YkPayment;
}

const EVENT_OF_STATUS: Partial<Record<YkStatus, YooKassaEvent>> = {
  waiting_for_capture: 'payment.waiting_for_capture',
  succeeded: 'payment.succeeded',
  canceled: 'payment.canceled',
};

function requireUrl(state: YooKassaSimState): string {
  if (state.notificationUrl === null) throw new ControlError(409, 'no_notification_url', 'no notification URL is set (PUT /_sim/notifications)');
  return state.notificationUrl;
}

/** Sends the notification for the payment's current status; nothing when no URL is set. */
export function notifyStatus(state: YooKassaSimState, payment: YkPayment): DeliveryRecord | null {
  const event = EVENT_OF_STATUS[payment.status];
  if (!event || state.notificationUrl === null) return null;
  const notification: YooKassaNotification = { type: 'notification', event, object: snapshot(payment) };
  return state.deliverer.send({ kind: 'genuine', event, subjectId: payment.id, url: state.notificationUrl, body: JSON.stringify(notification) });
}

/** Sends again, byte for byte, an earlier notification (the latest one, or the latest about `paymentId`). */
export function sendDuplicate(state: YooKassaSimState, deliveryId?: string, paymentId?: string): DeliveryRecord {
  const url = requireUrl(state);
  const original =
    deliveryId !== undefined
      ? state.deliverer.get(deliveryId)
      : state.deliverer.list({ ...(paymentId !== undefined ? { subject_id: paymentId } : {}) }).filter((d) => d.kind === 'genuine').at(-1);
  if (!original) throw new ControlError(404, 'no_such_delivery', 'there is no earlier notification to duplicate');
  return state.deliverer.send({ kind: 'duplicate', event: original.event, subjectId: original.subject_id, url, body: original.body, copyOf: original.id });
}

export interface ForgeRequest {
  payment_id?: string;
  event: YooKassaEvent;
  amount?: { value: string; currency: string };
}

/**
 * Sends a notification YooKassa never issued: it claims `event` for a real
 * payment (whatever its true status) or, without payment_id, for an unknown
 * one. The payment itself does not change. Sent once, not redelivered.
 */
export function sendForged(state: YooKassaSimState, request: ForgeRequest): DeliveryRecord {
  const url = requireUrl(state);
  const real = request.payment_id !== undefined ? state.payments.get(request.payment_id) : undefined;
  const status: YkStatus = request.event === 'payment.succeeded' ? 'succeeded' : request.event === 'payment.canceled' ? 'canceled' : 'waiting_for_capture';
  const base: YkPayment = real
    ? snapshot(real)
    : {
        id: request.payment_id ?? newPaymentId(),
        status: 'pending',
        paid: false,
        amount: { value: '100.00', currency: 'RUB' },
        recipient: { account_id: state.options.shopId, gateway_id: state.options.gatewayId },
        created_at: new Date().toISOString(),
        test: true,
        refundable: false,
        metadata: {},
      };
  const claimed: YkPayment = {
    ...base,
    status,
    paid: status !== 'canceled',
    ...(request.amount ? { amount: request.amount } : {}),
    ...(status === 'succeeded' ? { captured_at: new Date().toISOString(), refundable: true } : {}),
    ...(status === 'canceled' ? { cancellation_details: { party: 'yoo_money', reason: 'general_decline' } } : {}),
  };
  delete claimed.confirmation;
  const notification: YooKassaNotification = { type: 'notification', event: request.event, object: claimed };
  return state.deliverer.send({ kind: 'forged', event: request.event, subjectId: claimed.id, url, body: JSON.stringify(notification), maxAttempts: 1 });
}
