/**
 * The harness's one HTTP client for the target's /_control API, shared by the target fault
 * driver (scheduler stop/start) and the target action driver (run a job now): both need the
 * stack's control token and the same reading of the answer.
 */
import { request } from 'undici';
import { ChaosError } from '../core/errors.ts';
import type { StackEndpoints } from '../stack/types.ts';

export const CONTROL_TOKEN_HEADER = 'x-control-token';

/** One control call: method and path under the target's base URL. */
export interface TargetControlCall {
  method: 'POST';
  path: string;
}

/**
 * One call to the target's control API with the stack's token; the parsed JSON answer.
 * Anything but 200 is an error carrying the status and the start of the body.
 */
export async function controlRequest(endpoints: StackEndpoints, call: TargetControlCall & { body?: unknown }, timeoutMs: number, operation: string): Promise<unknown> {
  const token = endpoints.controlToken;
  if (!token) throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation, detail: 'this stack has no control token for the target' });
  const url = new URL(call.path, endpoints.targetUrl);
  const headers: Record<string, string> = { [CONTROL_TOKEN_HEADER]: token };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  const response = await request(url, {
    method: call.method,
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`${call.method} ${url.pathname} answered ${response.statusCode}: ${text.slice(0, 200)}`);
  return text === '' ? null : (JSON.parse(text) as unknown);
}
