/**
 * YooKassa's Idempotence-Key: a POST with a key seen in the last 24 hours
 * and the same request gets the first answer again; the same key with a
 * different request is refused. Only answers that did something are kept,
 * so a request refused for a bad body can be fixed and sent with its key again.
 */
import { YooKassaError } from './errors.ts';

export const IDEMPOTENCE_HEADER = 'idempotence-key';
export const MAX_KEY_LENGTH = 64;

export interface StoredAnswer {
  status: number;
  body: unknown;
}

interface Entry {
  fingerprint: string;
  answer: StoredAnswer;
  at: number;
}

/** JSON with object keys sorted, so key order does not make two bodies differ. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export class IdempotenceStore {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  replays = 0;

  constructor(ttlMs: number) {
    this.ttlMs = ttlMs;
  }

  /** The key of a POST, or YooKassa's 400 when it is missing or too long. */
  static requireKey(headerValue: string | string[] | undefined): string {
    const key = Array.isArray(headerValue) ? headerValue[0] : headerValue;
    if (key === undefined || key.trim() === '') throw new YooKassaError(400, 'invalid_request', 'Idempotence key is empty', 'Idempotence-Key');
    if (key.length > MAX_KEY_LENGTH) {
      throw new YooKassaError(400, 'invalid_request', `Idempotence key is too long: at most ${MAX_KEY_LENGTH} characters`, 'Idempotence-Key');
    }
    return key;
  }

  /**
   * The stored answer for `key` when the request matches, undefined for a new
   * key; throws YooKassa's 400 when the key was used for another request.
   */
  lookup(key: string, fingerprint: string, now = Date.now()): StoredAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry || now - entry.at > this.ttlMs) {
      if (entry) this.entries.delete(key);
      return undefined;
    }
    if (entry.fingerprint !== fingerprint) throw new YooKassaError(400, 'invalid_request', 'Idempotence key duplicated', 'Idempotence-Key');
    this.replays += 1;
    return entry.answer;
  }

  remember(key: string, fingerprint: string, answer: StoredAnswer, now = Date.now()): void {
    this.entries.set(key, { fingerprint, answer, at: now });
    if (this.entries.size > 100_000) this.sweep(now);
  }

  clear(): void {
    this.entries.clear();
    this.replays = 0;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (now - entry.at > this.ttlMs) this.entries.delete(key);
  }
}
