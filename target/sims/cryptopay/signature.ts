/**
 * Crypto Pay webhook signatures: header crypto-pay-api-signature holds the
 * hex HMAC-SHA-256 of the raw body, keyed with the SHA-256 digest (raw bytes)
 * of the app's API token.
 */
import { createHash, createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'crypto-pay-api-signature';

export function signWebhookBody(apiToken: string, body: string): string {
  const key = createHash('sha256').update(apiToken).digest();
  return createHmac('sha256', key).update(body).digest('hex');
}
