/**
 * Pieces the simulators share: the loopback-only rule, the backoff policy,
 * the notification deliverer's bounds, and the fault plan.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { backoffDelayMs, nextRetryDelayMs, resolveRetryPolicy } from '../../target/sims/shared/backoff.ts';
import { FaultPlan } from '../../target/sims/shared/faults.ts';
import { isLoopbackHost, NonLoopbackUrlError, requireLoopbackUrl } from '../../target/sims/shared/loopback-url.ts';
import { NotificationDeliverer } from '../../target/sims/shared/notification-deliverer.ts';
import { waitFor } from './helpers.ts';

test('only loopback URLs are accepted', () => {
  for (const url of ['http://127.0.0.1:8080/x', 'http://127.9.8.7/', 'http://localhost:1/', 'https://LOCALHOST/', 'http://[::1]:9/', 'http://[::ffff:127.0.0.1]/', 'http://0x7f000001/', 'http://127.1/']) {
    assert.equal(requireLoopbackUrl(url).protocol.startsWith('http'), true, url);
  }
  for (const url of ['http://10.0.0.1/', 'http://128.0.0.1/', 'https://example.com/', 'http://localhost.example.com/', 'http://[::2]/', 'ftp://127.0.0.1/', 'not a url', 'http://0.0.0.0/']) {
    assert.throws(() => requireLoopbackUrl(url), NonLoopbackUrlError, url);
  }
  assert.equal(isLoopbackHost('::1'), true);
  assert.equal(isLoopbackHost('192.168.0.1'), false);
});

test('backoff doubles up to its cap and stops at the attempt limit or the horizon', () => {
  const policy = resolveRetryPolicy({ initialDelayMs: 100, factor: 2, maxDelayMs: 1000, maxAttempts: 6, horizonMs: 60_000 }, {});
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n)), [100, 200, 400, 800, 1000, 1000]);
  assert.equal(nextRetryDelayMs(policy, 5, 0, 0), 1000);
  assert.equal(nextRetryDelayMs(policy, 6, 0, 0), null, 'out of attempts');
  assert.equal(nextRetryDelayMs(policy, 2, 0, 59_900), null, 'the next attempt would start past the horizon');
  assert.throws(() => resolveRetryPolicy(policy, { maxAttempts: 0, factor: 0.5 }), /maxAttempts.*|factor/);
});

test('the deliverer refuses non-loopback URLs and logs network failures until it gives up', async () => {
  const deliverer = new NotificationDeliverer({
    policy: { initialDelayMs: 5, factor: 1, maxDelayMs: 5, maxAttempts: 3, horizonMs: 5000 },
    attemptTimeoutMs: 1000,
    accepts: (status) => status === 200,
    idPrefix: 't',
  });
  try {
    assert.throws(() => deliverer.send({ kind: 'genuine', event: 'e', subjectId: '1', url: 'http://203.0.113.5/hook', body: '{}' }), NonLoopbackUrlError);
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as AddressInfo;
        server.close(() => resolve(p));
      });
    });
    const record = deliverer.send({ kind: 'genuine', event: 'e', subjectId: '1', url: `http://127.0.0.1:${port}/hook`, body: '{}' });
    assert.ok(await waitFor(() => record.state === 'failed'));
    assert.equal(record.attempts.length, 3);
    assert.deepEqual(record.attempts.map((a) => a.status), [null, null, null]);
    assert.equal(record.attempts[0]?.error, 'Connection refused');
    assert.equal(deliverer.idle(), true);
  } finally {
    await deliverer.close();
  }
});

test('the fault plan: forced failures are used up in order and only by matching operations', async () => {
  const plan = new FaultPlan<string>();
  plan.force({ count: 2, methods: ['sendMessage'], failure: 'flood' });
  plan.force({ count: 1, failure: 'any' });
  assert.equal(plan.takeForced('getMe'), 'any');
  assert.equal(plan.takeForced('getMe'), undefined);
  assert.equal(plan.takeForced('SENDMESSAGE'), 'flood');
  assert.equal(plan.takeForced('sendMessage'), 'flood');
  assert.equal(plan.takeForced('sendMessage'), undefined);
  assert.throws(() => plan.setLatency({ fixed_ms: -1, jitter_ms: 0 }), RangeError);
  assert.throws(() => plan.hang(0), RangeError);
  plan.setLatency({ fixed_ms: 5000, jitter_ms: 0 });
  const started = Date.now();
  const waiting = plan.beforeCall();
  plan.close();
  await waiting;
  assert.ok(Date.now() - started < 1000, 'close ends a latency wait');
});

test('every control API takes a bodyless POST labelled JSON as "no parameters" and still refuses broken JSON', async () => {
  const { buildTelegramSim } = await import('../../target/sims/telegram/sim.ts');
  const { buildYooKassaSim } = await import('../../target/sims/yookassa/sim.ts');
  const { buildCryptoPaySim } = await import('../../target/sims/cryptopay/sim.ts');
  for (const { app } of [buildTelegramSim(), buildYooKassaSim(), buildCryptoPaySim()]) {
    try {
      const empty = await app.inject({ method: 'POST', url: '/_sim/reset', headers: { 'content-type': 'application/json' } });
      assert.equal(empty.statusCode, 200, empty.body);
      const broken = await app.inject({ method: 'POST', url: '/_sim/reset', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
      assert.equal(broken.statusCode, 400);
      assert.equal((broken.json() as { error: string }).error, 'invalid_control_request');
    } finally {
      await app.close();
    }
  }
});
