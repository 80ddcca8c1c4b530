/**
 * Invoices as Crypto Pay keeps them: created "active", "paid" once the user
 * pays in @CryptoBot, "expired" after expires_in. Parameters arrive typed
 * (JSON) or as strings (query, form) and are read accordingly.
 */
import { randomBytes } from 'node:crypto';
import { CryptoPayError, invalidParam, paramTooLong } from './errors.ts';

export const ASSETS = ['USDT', 'TON', 'BTC', 'ETH', 'LTC', 'BNB', 'TRX', 'USDC', 'JET'] as const;
export const FIATS = ['USD', 'EUR', 'RUB', 'BYN', 'UAH', 'GBP', 'CNY', 'KZT', 'UZS', 'GEL', 'TRY', 'AMD', 'THB', 'INR', 'BRL', 'IDR', 'AZN', 'AED', 'PLN', 'ILS'] as const;
export const PAID_BUTTONS = ['viewItem', 'openChannel', 'openBot', 'callback'] as const;

/** Fixed simulated USD rates (the real ones move; these never do). */
const USD_PER_UNIT: Record<string, number> = {
  USDT: 1, USDC: 1, TON: 3, BTC: 60_000, ETH: 3_000, LTC: 80, BNB: 600, TRX: 0.12, JET: 0.002,
  USD: 1, EUR: 1.08, RUB: 0.011, GBP: 1.27, UAH: 0.024, BYN: 0.3, CNY: 0.14, KZT: 0.002,
};
/** Share of a payment Crypto Pay keeps. */
const FEE_RATE = 0.03;

export interface Invoice {
  invoice_id: number;
  hash: string;
  currency_type: 'crypto' | 'fiat';
  asset?: string;
  fiat?: string;
  amount: string;
  accepted_assets?: string[];
  paid_asset?: string;
  paid_amount?: string;
  paid_fiat_rate?: string;
  paid_usd_rate?: string;
  fee_asset?: string;
  fee_amount?: string;
  /** Deprecated in the API in favour of bot_invoice_url; still returned. */
  pay_url: string;
  bot_invoice_url: string;
  mini_app_invoice_url: string;
  web_app_invoice_url: string;
  description?: string;
  status: 'active' | 'paid' | 'expired';
  created_at: string;
  allow_comments: boolean;
  allow_anonymous: boolean;
  expiration_date?: string;
  paid_at?: string;
  paid_anonymously?: boolean;
  comment?: string;
  hidden_message?: string;
  payload?: string;
  paid_btn_name?: string;
  paid_btn_url?: string;
}

type Params = Record<string, unknown>;

function str(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw invalidParam(name);
}

function bool(params: Params, name: string, fallback: boolean): boolean {
  const value = params[name];
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true' || value === 1 || value === '1') return true;
  if (value === false || value === 'false' || value === 0 || value === '0') return false;
  throw invalidParam(name);
}

export function int(params: Params, name: string, min: number, max: number): number | undefined {
  const raw = str(params, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw invalidParam(name);
  return value;
}

function listParam(params: Params, name: string): string[] | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' || typeof value === 'number') return String(value).split(',').map((s) => s.trim()).filter(Boolean);
  throw invalidParam(name);
}

function botUrls(bot: string, hash: string): Pick<Invoice, 'pay_url' | 'bot_invoice_url' | 'mini_app_invoice_url' | 'web_app_invoice_url'> {
  const botUrl = `https://t.me/${bot}?start=${hash}`;
  return {
    pay_url: botUrl,
    bot_invoice_url: botUrl,
    mini_app_invoice_url: `https://t.me/${bot}/app?startapp=invoice-${hash}&mode=compact`,
    web_app_invoice_url: `https://app.cr.bot/invoices/${hash}`,
  };
}

function formatAmount(value: number): string {
  return String(Number(value.toFixed(8)));
}

export class InvoiceStore {
  private readonly invoices = new Map<number, Invoice>();
  private nextId: number;
  private readonly firstId: number;
  private readonly bot: string;

  constructor(firstId: number, bot: string) {
    this.firstId = firstId;
    this.nextId = firstId;
    this.bot = bot;
  }

  /** createInvoice: validates like the service and returns the new active invoice. */
  create(params: Params, now = Date.now()): Invoice {
    const currencyType = str(params, 'currency_type') ?? 'crypto';
    if (currencyType !== 'crypto' && currencyType !== 'fiat') throw invalidParam('currency_type');
    const asset = str(params, 'asset');
    const fiat = str(params, 'fiat');
    let acceptedAssets: string[] | undefined;
    if (currencyType === 'crypto') {
      if (asset === undefined || !(ASSETS as readonly string[]).includes(asset)) throw invalidParam('asset');
    } else {
      if (fiat === undefined || !(FIATS as readonly string[]).includes(fiat)) throw invalidParam('fiat');
      acceptedAssets = listParam(params, 'accepted_assets');
      if (acceptedAssets && !acceptedAssets.every((a) => (ASSETS as readonly string[]).includes(a))) throw invalidParam('accepted_assets');
    }
    const amount = str(params, 'amount');
    if (amount === undefined || !/^\d+(\.\d+)?$/.test(amount.trim()) || !(Number(amount) > 0)) throw invalidParam('amount');
    const description = str(params, 'description');
    if (description !== undefined && description.length > 1024) throw paramTooLong('description');
    const hiddenMessage = str(params, 'hidden_message');
    if (hiddenMessage !== undefined && hiddenMessage.length > 2048) throw paramTooLong('hidden_message');
    const payload = str(params, 'payload');
    if (payload !== undefined && Buffer.byteLength(payload) > 4096) throw paramTooLong('payload');
    const paidBtnName = str(params, 'paid_btn_name');
    const paidBtnUrl = str(params, 'paid_btn_url');
    if (paidBtnName !== undefined && !(PAID_BUTTONS as readonly string[]).includes(paidBtnName)) throw invalidParam('paid_btn_name');
    if (paidBtnName !== undefined && paidBtnUrl === undefined) throw invalidParam('paid_btn_url');
    if (paidBtnUrl !== undefined && !/^https?:\/\//.test(paidBtnUrl)) throw invalidParam('paid_btn_url');
    const expiresIn = int(params, 'expires_in', 1, 2_678_400);

    const id = this.nextId;
    this.nextId += 1;
    const hash = `IV${randomBytes(9).toString('base64url').slice(0, 12)}`;
    const invoice: Invoice = {
      invoice_id: id,
      hash,
      currency_type: currencyType,
      ...(currencyType === 'crypto' ? { asset } : { fiat }),
      amount: amount.trim(),
      ...(acceptedAssets ? { accepted_assets: acceptedAssets } : {}),
      ...botUrls(this.bot, hash),
      ...(description !== undefined ? { description } : {}),
      status: 'active',
      created_at: new Date(now).toISOString(),
      allow_comments: bool(params, 'allow_comments', true),
      allow_anonymous: bool(params, 'allow_anonymous', true),
      ...(expiresIn !== undefined ? { expiration_date: new Date(now + expiresIn * 1000).toISOString() } : {}),
      ...(hiddenMessage !== undefined ? { hidden_message: hiddenMessage } : {}),
      ...(payload !== undefined ? { payload } : {}),
      ...(paidBtnName !== undefined ? { paid_btn_name: paidBtnName, paid_btn_url: paidBtnUrl } : {}),
    };
    this.invoices.set(id, invoice);
    return invoice;
  }

  /** The invoice, marked expired first when its time has passed. */
  get(id: number, now = Date.now()): Invoice | undefined {
    const invoice = this.invoices.get(id);
    if (invoice && invoice.status === 'active' && invoice.expiration_date !== undefined && Date.parse(invoice.expiration_date) <= now) {
      invoice.status = 'expired';
    }
    return invoice;
  }

  /** getInvoices: newest first, filtered, then offset/count. */
  query(params: Params): Invoice[] {
    const asset = str(params, 'asset');
    const fiat = str(params, 'fiat');
    const status = str(params, 'status');
    if (status !== undefined && status !== 'active' && status !== 'paid' && status !== 'expired') throw invalidParam('status');
    const idList = listParam(params, 'invoice_ids');
    if (idList && !idList.every((id) => /^\d+$/.test(id))) throw invalidParam('invoice_ids');
    const ids = idList?.map(Number);
    const offset = int(params, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const count = int(params, 'count', 1, 1000) ?? 100;
    return [...this.invoices.keys()]
      .reverse()
      .map((id) => this.get(id))
      .filter((invoice): invoice is Invoice => invoice !== undefined)
      .filter(
        (invoice) =>
          (ids === undefined || ids.includes(invoice.invoice_id)) &&
          (asset === undefined || invoice.asset === asset) &&
          (fiat === undefined || invoice.fiat === fiat) &&
          (status === undefined || invoice.status === status),
      )
      .slice(offset, offset + count);
  }

  /** The user paid the invoice in the bot. */
  pay(invoice: Invoice, options: { paid_asset?: string; comment?: string; paid_anonymously?: boolean }): Invoice {
    if (invoice.status !== 'active') throw new CryptoPayError(400, 'INVOICE_NOT_ACTIVE');
    const paidAsset = options.paid_asset ?? invoice.asset ?? invoice.accepted_assets?.[0] ?? 'USDT';
    const assetUsd = USD_PER_UNIT[paidAsset] ?? 1;
    const paidAmount = invoice.currency_type === 'crypto' ? Number(invoice.amount) : (Number(invoice.amount) * (USD_PER_UNIT[invoice.fiat ?? 'USD'] ?? 1)) / assetUsd;
    invoice.status = 'paid';
    invoice.paid_at = new Date().toISOString();
    invoice.paid_asset = paidAsset;
    invoice.paid_amount = formatAmount(paidAmount);
    invoice.paid_usd_rate = formatAmount(assetUsd);
    if (invoice.currency_type === 'fiat') invoice.paid_fiat_rate = formatAmount(assetUsd / (USD_PER_UNIT[invoice.fiat ?? 'USD'] ?? 1));
    invoice.fee_asset = paidAsset;
    invoice.fee_amount = formatAmount(paidAmount * FEE_RATE);
    invoice.paid_anonymously = options.paid_anonymously ?? false;
    if (options.comment !== undefined && invoice.allow_comments) invoice.comment = options.comment;
    return invoice;
  }

  expire(invoice: Invoice): Invoice {
    if (invoice.status !== 'active') throw new CryptoPayError(400, 'INVOICE_NOT_ACTIVE');
    invoice.status = 'expired';
    return invoice;
  }

  count(): number {
    return this.invoices.size;
  }

  clear(): void {
    this.invoices.clear();
    this.nextId = this.firstId;
  }
}
