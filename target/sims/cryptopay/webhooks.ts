/**
 * invoice_paid webhooks: `{ update_id, update_type, request_date, payload }`
 * signed with crypto-pay-api-signature and sent again until the app answers
 * 200. Duplicates resend the same bytes and signature; forged ones carry a
 * signature that does not verify and are sent once.
 */
import { ControlError } from '../shared/control-api.ts';
import type { DeliveryRecord } from '../shared/notification-deliverer.ts';
import type { Invoice } from './invoices.ts';
import { SIGNATURE_HEADER, signWebhookBody } from './signature.ts';
import type { CryptoPaySimState } from './state.ts';

export interface InvoicePaidUpdate {
  update_id: number;
  update_type: 'invoice_paid';
  request_date: string;
  payload: Invoice;
}

function requireUrl(state: CryptoPaySimState): string {
  if (state.webhookUrl === null) throw new ControlError(409, 'no_webhook_url', 'no webhook URL is set (PUT /_sim/webhook)');
  return state.webhookUrl;
}

function updateBody(state: CryptoPaySimState, invoice: Invoice): string {
  const update: InvoicePaidUpdate = {
    update_id: state.nextUpdateId,
    update_type: 'invoice_paid',
    request_date: new Date().toISOString(),
    payload: structuredClone(invoice),
  };
  state.nextUpdateId += 1;
  return JSON.stringify(update);
}

/** The genuine webhook for a paid invoice; nothing when no URL is set. */
export function notifyPaid(state: CryptoPaySimState, invoice: Invoice): DeliveryRecord | null {
  if (state.webhookUrl === null) return null;
  const body = updateBody(state, invoice);
  return state.deliverer.send({
    kind: 'genuine',
    event: 'invoice_paid',
    subjectId: String(invoice.invoice_id),
    url: state.webhookUrl,
    body,
    headers: { [SIGNATURE_HEADER]: signWebhookBody(state.options.token, body) },
  });
}

export function sendDuplicate(state: CryptoPaySimState, deliveryId?: string, invoiceId?: number): DeliveryRecord {
  const url = requireUrl(state);
  const original =
    deliveryId !== undefined
      ? state.deliverer.get(deliveryId)
      : state.deliverer.list(invoiceId !== undefined ? { subject_id: String(invoiceId) } : {}).filter((d) => d.kind === 'genuine').at(-1);
  if (!original) throw new ControlError(404, 'no_such_delivery', 'there is no earlier webhook to duplicate');
  return state.deliverer.send({
    kind: 'duplicate',
    event: original.event,
    subjectId: original.subject_id,
    url,
    body: original.body,
    headers: original.headers,
    copyOf: original.id,
  });
}

/** bad_signature: signed with another key; missing_signature: no header; tampered: a valid signature of a different body. */
export type ForgeMode = 'bad_signature' | 'missing_signature' | 'tampered';

export function sendForged(state: CryptoPaySimState, invoice: Invoice | undefined, invoiceId: number | undefined, mode: ForgeMode): DeliveryRecord {
  const url = requireUrl(state);
  const claimed: Invoice = invoice
    ? { ...structuredClone(invoice), status: 'paid', paid_at: new Date().toISOString(), paid_asset: invoice.asset ?? 'USDT', paid_amount: invoice.amount }
    : {
        invoice_id: invoiceId ?? 999_999_999,
        hash: 'IVforgedforged',
        currency_type: 'crypto',
        asset: 'USDT',
        amount: '1000',
        pay_url: 'https://t.me/CryptoBot?start=IVforgedforged',
        bot_invoice_url: 'https://t.me/CryptoBot?start=IVforgedforged',
        mini_app_invoice_url: 'https://t.me/CryptoBot/app?startapp=invoice-IVforgedforged&mode=compact',
        web_app_invoice_url: 'https://app.cr.bot/invoices/IVforgedforged',
        status: 'paid',
        created_at: new Date().toISOString(),
        paid_at: new Date().toISOString(),
        allow_comments: true,
        allow_anonymous: true,
      };
  const body = updateBody(state, claimed);
  let headers: Record<string, string>;
  switch (mode) {
    case 'bad_signature':
      headers = { [SIGNATURE_HEADER]: signWebhookBody(`${state.options.token}-not-the-real-token`, body) };
      break;
    case 'missing_signature':
      headers = {};
      break;
    case 'tampered':
      headers = { [SIGNATURE_HEADER]: signWebhookBody(state.options.token, body.replace('"update_type"', '"update_type" ')) };
      break;
  }
  return state.deliverer.send({ kind: 'forged', event: 'invoice_paid', subjectId: String(claimed.invoice_id), url, body, headers, maxAttempts: 1 });
}
