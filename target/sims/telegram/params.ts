/**
 * Reading Bot API parameters the way the real server does: from JSON they
 * arrive typed, from a form or query string everything is a string and
 * objects (reply_markup, entities, allowed_updates) are JSON inside it.
 */
import { TelegramApiError } from './errors.ts';

export type Params = Record<string, unknown>;

export function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TelegramApiError(400, `Bad Request: wrong type of the parameter ${name}`);
}

export function optionalInt(params: Params, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new TelegramApiError(400, `Bad Request: invalid ${name} specified`);
  return number;
}

export function optionalBool(params: Params, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0) return false;
  throw new TelegramApiError(400, `Bad Request: invalid ${name} specified`);
}

/** An object parameter: taken as is from JSON, parsed when it arrives as a string; `error` when unreadable. */
export function optionalJson(params: Params, name: string, error: string): unknown {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new TelegramApiError(400, error);
  }
}

/** The same, but never throws: what the sent log shows of a parameter. */
export function looseJson(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
