/**
 * YooKassa's error object: `{ type: "error", id, code, description, parameter? }`
 * with the HTTP status its code goes with (see the API's "HTTP response codes").
 */
import { randomUUID } from 'node:crypto';

export type YooKassaErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
  | 'forbidden'
  | 'not_found'
  | 'too_many_requests'
  | 'internal_server_error';

export interface YooKassaErrorBody {
  type: 'error';
  id: string;
  code: YooKassaErrorCode | string;
  description: string;
  parameter?: string;
  retry_after?: number;
}

export class YooKassaError extends Error {
  readonly status: number;
  readonly code: string;
  readonly description: string;
  readonly parameter: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, description: string, parameter?: string, retryAfter?: number) {
    super(description);
    this.name = 'YooKassaError';
    this.status = status;
    this.code = code;
    this.description = description;
    this.parameter = parameter;
    this.retryAfter = retryAfter;
  }

  body(): YooKassaErrorBody {
    return {
      type: 'error',
      id: randomUUID(),
      code: this.code,
      description: this.description,
      ...(this.parameter !== undefined ? { parameter: this.parameter } : {}),
      ...(this.retryAfter !== undefined ? { retry_after: this.retryAfter } : {}),
    };
  }
}

/** The error code the API pairs with an HTTP status. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'invalid_credentials';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 429:
      return 'too_many_requests';
    default:
      return 'internal_server_error';
  }
}

export const invalidCredentials = (): YooKassaError =>
  new YooKassaError(
    401,
    'invalid_credentials',
    'Error in shopId or secret key. Check their validity. You can reissue the key in the Merchant Profile',
    'Authorization',
  );

export const paymentNotFound = (): YooKassaError => new YooKassaError(404, 'not_found', 'Payment not found or forbidden', 'payment_id');
