/**
 * Crypto Pay's answers: `{ ok: true, result }` or `{ ok: false, error: { code, name } }`,
 * with the HTTP status equal to the error code.
 */

export type CryptoPayEnvelope = { ok: true; result: unknown } | { ok: false; error: { code: number; name: string } };

export class CryptoPayError extends Error {
  readonly code: number;
  readonly errorName: string;

  constructor(code: number, name: string) {
    super(`${code} ${name}`);
    this.name = 'CryptoPayError';
    this.code = code;
    this.errorName = name;
  }

  envelope(): CryptoPayEnvelope {
    return { ok: false, error: { code: this.code, name: this.errorName } };
  }
}

export const unauthorized = (): CryptoPayError => new CryptoPayError(401, 'UNAUTHORIZED');
export const methodNotFound = (): CryptoPayError => new CryptoPayError(405, 'METHOD_NOT_FOUND');
/** A parameter the method cannot accept, named as the service names them: <PARAM>_INVALID. */
export const invalidParam = (param: string): CryptoPayError => new CryptoPayError(400, `${param.toUpperCase()}_INVALID`);
export const paramTooLong = (param: string): CryptoPayError => new CryptoPayError(400, `${param.toUpperCase()}_TOO_LONG`);

/** The error name a forced failure gets when the harness names none. */
export function defaultErrorName(code: number): string {
  if (code === 401) return 'UNAUTHORIZED';
  if (code === 429) return 'TOO_MANY_REQUESTS';
  if (code >= 500) return 'APP_ERROR';
  return 'BAD_REQUEST';
}
