/**
 * The rate-limit stores behind the throttle (C11, B3): the in-memory one, and
 * the Redis one against a real redis-server (skipped when none is installed),
 * where two stores stand for two bot instances sharing one limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRedisServer, skipWithoutRedis, startRedis } from '../support/redis-server.ts';
import { RedisRateLimitStore } from '../../../target/bot/redis-rate-limit-store.ts';
import { MemoryRateLimitStore } from '../../../target/bot/throttle.ts';

test('memory store: counts per key within a window, starts again when it ends, sweeps ended windows', async () => {
  let now = 0;
  const store = new MemoryRateLimitStore(() => now);
  for (let i = 1; i <= 31; i += 1) assert.equal(await store.hit('a', 60_000), i);
  assert.equal(await store.hit('b', 60_000), 1);
  now = 59_999;
  assert.equal(await store.hit('a', 60_000), 32);
  now = 60_000;
  assert.equal(await store.hit('a', 60_000), 1, 'a new window');
  assert.equal(store.size, 1, 'b ended and was swept');
});

const redisBinary = findRedisServer();

test('Redis store: two instances share one count per user and window; a new window after it ends', { skip: skipWithoutRedis(redisBinary) }, async () => {
  const redis = await startRedis(redisBinary ?? '');
  const first = new RedisRateLimitStore({ port: redis.port, keyPrefix: 't1:' });
  const second = new RedisRateLimitStore({ port: redis.port, keyPrefix: 't1:' });
  try {
    const counts = await Promise.all(Array.from({ length: 31 }, (_, i) => (i % 2 === 0 ? first : second).hit('throttle:7', 300)));
    assert.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: 31 }, (_, i) => i + 1));
    assert.equal(counts.filter((n) => n > 30).length, 1, 'exactly one update over the limit across both instances');
    assert.equal(await first.hit('throttle:8', 300), 1, 'other users count apart');
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(await second.hit('throttle:7', 300), 1);
  } finally {
    await first.close();
    await second.close();
    await redis.stop();
  }
});

test('Redis store: a Redis that is gone fails the hit quickly; the store reconnects when it is back', { skip: skipWithoutRedis(redisBinary) }, async () => {
  let redis = await startRedis(redisBinary ?? '');
  const port = redis.port;
  const store = new RedisRateLimitStore({ port, connectTimeoutMs: 300, commandTimeoutMs: 300 });
  try {
    assert.equal(await store.hit('k', 10_000), 1);
    await redis.stop();
    const started = Date.now();
    await assert.rejects(store.hit('k', 10_000));
    assert.ok(Date.now() - started < 1000);
    redis = await startRedis(redisBinary ?? '', port);
    let count: number | null = null;
    for (let attempt = 0; attempt < 50 && count === null; attempt += 1) {
      count = await store.hit('k', 10_000).catch(() => null);
      if (count === null) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(count, 1, 'a fresh Redis, a fresh count');
  } finally {
    await store.close();
    await redis.stop();
  }
});
