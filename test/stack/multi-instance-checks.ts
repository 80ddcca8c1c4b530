/**
 * What any stack provider must show with the target as two instances, whatever
 * runs them (processes or containers): the Telegram webhook reaches the front
 * door, requests spread across both, one instance down leaves the service
 * answering, a fault without an instance hits both, and an instance that does
 * not exist is a clear error. Used by the local and the docker multi-instance tests.
 */
import assert from 'node:assert/strict';
import { parsePrometheus, sumMetric } from '../../cli/drivers/probes/metrics.ts';
import type { StackEndpoints, StackProvider } from '../../cli/stack/types.ts';

export async function httpStatusOf(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Cryptopay webhooks this instance answered (any outcome), from its own /metrics. */
async function webhooksSeenBy(instanceUrl: string): Promise<number> {
  const response = await fetch(`${instanceUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
  return sumMetric(parsePrometheus(await response.text()), 'payment_webhooks_total', { provider: 'cryptopay' }) ?? 0;
}

/** A notification with no valid signature: every instance refuses it (400), and counts it. */
async function forgedWebhook(targetUrl: string): Promise<number> {
  const response = await fetch(`${targetUrl}/webhooks/cryptopay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'crypto-pay-api-signature': 'deadbeef' },
    body: JSON.stringify({ update_id: 1, update_type: 'invoice_paid', request_date: new Date().toISOString(), payload: { invoice_id: 1 } }),
    signal: AbortSignal.timeout(3000),
  });
  await response.arrayBuffer();
  return response.status;
}

export async function webhookGoesToFrontDoor(endpoints: StackEndpoints): Promise<void> {
  const deadline = Date.now() + 15_000;
  let url: unknown = null;
  while (Date.now() < deadline) {
    const info = (await (await fetch(`${endpoints.sims?.telegram}/_sim/status`)).json()) as { webhook?: { url?: string } };
    url = info.webhook?.url;
    if (url) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(url, `${endpoints.targetUrl}/telegram/webhook`);
}

export async function requestsReachBothInstances(endpoints: StackEndpoints): Promise<void> {
  const urls = endpoints.targetInstanceUrls ?? [];
  assert.equal(urls.length, 2);
  const before = await Promise.all(urls.map(webhooksSeenBy));
  for (let i = 0; i < 20; i += 1) assert.equal(await forgedWebhook(endpoints.targetUrl), 400);
  const after = await Promise.all(urls.map(webhooksSeenBy));
  const seen = after.map((n, i) => n - (before[i] ?? 0));
  assert.equal(seen.reduce((a, b) => a + b, 0), 20);
  // Round robin: each instance gets about half.
  for (const n of seen) assert.ok(n >= 5, `per-instance webhooks ${seen.join(', ')}`);
}

export async function survivesInstanceTwoKilled(stack: StackProvider, endpoints: StackEndpoints): Promise<void> {
  await stack.service('target', 2).kill();
  assert.equal(await stack.service('target', 2).isRunning(), false);
  assert.equal(await stack.service('target', 1).isRunning(), true);
  // Every request is answered by the live instance (its JSON health report), never by HAProxy
  // for want of a server; 503 may be the target's own verdict on a slow database on this busy machine.
  const answers: string[] = [];
  for (let i = 0; i < 20; i += 1) {
    try {
      const response = await fetch(`${endpoints.targetUrl}/health`, { signal: AbortSignal.timeout(3000) });
      const body = await response.text();
      answers.push(body.trimStart().startsWith('{') ? 'target' : `${response.status} ${body.slice(0, 60)}`);
    } catch (error) {
      answers.push((error as Error).message);
    }
  }
  assert.deepEqual(answers, Array<string>(20).fill('target'));
  await stack.service('target', 2).ensureRunning();
  assert.equal(await stack.service('target', 2).isRunning(), true);
  assert.equal(await httpStatusOf(`${endpoints.targetInstanceUrls?.[1]}/health`), 200);
}

export async function targetWithoutInstanceMeansAll(stack: StackProvider): Promise<void> {
  const control = stack.service('target');
  await control.pause();
  assert.equal(await stack.service('target', 1).isRunning(), false);
  assert.equal(await stack.service('target', 2).isRunning(), false);
  await control.ensureRunning();
  assert.equal(await control.isRunning(), true);
}

export async function unknownInstanceIsClearError(stack: StackProvider): Promise<void> {
  await assert.rejects(() => stack.service('target', 3).stop(), /target instance 3.*runs 2 instances/);
  assert.throws(() => stack.service('postgres', 1), /only the target runs as several instances/);
}
