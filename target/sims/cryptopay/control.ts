/**
 * The harness's handle on the Crypto Pay simulator, in process; the HTTP
 * control API under /_sim is a thin layer over it and takes the same bodies.
 */
import { z } from 'zod';
import { ControlError, parseControlBody } from '../shared/control-api.ts';
import type { LatencySetting } from '../shared/faults.ts';
import { requireLoopbackUrl } from '../shared/loopback-url.ts';
import type { DeliveryFilter, DeliveryRecord } from '../shared/notification-deliverer.ts';
import { defaultErrorName } from './errors.ts';
import type { Invoice } from './invoices.ts';
import { ASSETS } from './invoices.ts';
import type { CryptoPayCounters, CryptoPaySimState } from './state.ts';
import { resetCryptoPayState } from './state.ts';
import { notifyPaid, sendDuplicate, sendForged } from './webhooks.ts';

export const PaySchema = z
  .object({
    paid_asset: z.enum(ASSETS).optional(),
    comment: z.string().max(1024).optional(),
    paid_anonymously: z.boolean().optional(),
  })
  .strict();

export const DuplicateSchema = z.object({ delivery_id: z.string().optional(), invoice_id: z.number().int().positive().optional() }).strict();

export const ForgeSchema = z
  .object({
    invoice_id: z.number().int().positive().optional().describe('Invoice the webhook lies about; an unknown id when left out.'),
    mode: z.enum(['bad_signature', 'missing_signature', 'tampered']).default('bad_signature'),
  })
  .strict();

export const ForceFailureSchema = z
  .object({
    code: z.number().int().min(400).max(599).default(500),
    name: z.string().regex(/^[A-Z0-9_]+$/).optional(),
    count: z.number().int().min(1).max(1_000_000).default(1),
    processed: z.boolean().default(false).describe('Do the work (e.g. create the invoice), then answer with the error.'),
    methods: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export const WebhookUrlSchema = z.object({ url: z.string().nullable() }).strict();

export type PayBody = z.input<typeof PaySchema>;
export type DuplicateBody = z.input<typeof DuplicateSchema>;
export type ForgeBody = z.input<typeof ForgeSchema>;
export type ForceFailureBody = z.input<typeof ForceFailureSchema>;

export interface CryptoPaySimControl {
  /** Where invoice_paid webhooks go; null stops sending them. Loopback URLs only. */
  setWebhookUrl(url: string | null): void;
  invoice(id: number): Invoice | undefined;
  invoices(): Invoice[];
  /** The user pays the invoice; the signed invoice_paid webhook goes out. */
  pay(invoiceId: number, body?: PayBody): { invoice: Invoice; delivery: DeliveryRecord | null };
  /** The invoice expires now (no webhook: Crypto Pay sends none for it). */
  expire(invoiceId: number): Invoice;
  duplicate(body?: DuplicateBody): DeliveryRecord;
  forge(body?: ForgeBody): DeliveryRecord;
  deliveries(filter?: DeliveryFilter): DeliveryRecord[];
  forceFailure(body: ForceFailureBody): void;
  clearForcedFailures(): void;
  setLatency(latency: LatencySetting): void;
  hang(maxMs: number): void;
  clearHang(): void;
  counters(): CryptoPayCounters & { webhooks: ReturnType<CryptoPaySimState['deliverer']['stats']> };
  reset(): void;
}

function existing(state: CryptoPaySimState, id: number): Invoice {
  const invoice = state.invoices.get(id);
  if (!invoice) throw new ControlError(404, 'no_such_invoice', `invoice ${id} does not exist`);
  return invoice;
}

function requireActive(invoice: Invoice): void {
  if (invoice.status !== 'active') throw new ControlError(409, 'invalid_state', `invoice ${invoice.invoice_id} is ${invoice.status}, not active`);
}

export function createCryptoPayControl(state: CryptoPaySimState): CryptoPaySimControl {
  return {
    setWebhookUrl: (url) => {
      if (url !== null) requireLoopbackUrl(url);
      state.webhookUrl = url;
    },
    invoice: (id) => {
      const invoice = state.invoices.get(id);
      return invoice ? structuredClone(invoice) : undefined;
    },
    invoices: () => state.invoices.query({ count: 1000 }).map((invoice) => structuredClone(invoice)),
    pay: (id, input = {}) => {
      const body = parseControlBody(PaySchema, input);
      const invoice = existing(state, id);
      requireActive(invoice);
      state.invoices.pay(invoice, body);
      return { invoice: structuredClone(invoice), delivery: notifyPaid(state, invoice) };
    },
    expire: (id) => {
      const invoice = existing(state, id);
      requireActive(invoice);
      return structuredClone(state.invoices.expire(invoice));
    },
    duplicate: (input = {}) => {
      const body = parseControlBody(DuplicateSchema, input);
      return sendDuplicate(state, body.delivery_id, body.invoice_id);
    },
    forge: (input = {}) => {
      const body = parseControlBody(ForgeSchema, input);
      const invoice = body.invoice_id !== undefined ? state.invoices.get(body.invoice_id) : undefined;
      return sendForged(state, invoice, body.invoice_id, body.mode);
    },
    deliveries: (filter = {}) => state.deliverer.list(filter),
    forceFailure: (input) => {
      const body = parseControlBody(ForceFailureSchema, input);
      state.faults.force({ count: body.count, methods: body.methods, failure: { code: body.code, name: body.name ?? defaultErrorName(body.code), processed: body.processed } });
    },
    clearForcedFailures: () => state.faults.clearForced(),
    setLatency: (latency) => state.faults.setLatency(latency),
    hang: (maxMs) => state.faults.hang(maxMs),
    clearHang: () => state.faults.clearHang(),
    counters: () => ({ ...structuredClone(state.counters), webhooks: state.deliverer.stats() }),
    reset: () => resetCryptoPayState(state),
  };
}
