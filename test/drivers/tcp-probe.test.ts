/** The TCP probe against a real listening socket on 127.0.0.1, and against the same port once it is closed. */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { startClock } from '../../cli/core/clock.ts';
import { probeContext } from '../../cli/drivers/probes/index.ts';
import { tcpProbeDriver, type TcpProbeSpec } from '../../cli/drivers/probes/tcp.ts';
import { ProbeSchema } from '../../cli/drivers/registry.ts';

const spec = (input: Record<string, unknown>): TcpProbeSpec => ProbeSchema.parse({ name: 'port', kind: 'tcp', ...input }) as TcpProbeSpec;

test('tcp probe: a listening port is open (value 1, the connect time as latency); once closed, refused (value 0)', async () => {
  const server = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoints = { targetUrl: `http://127.0.0.1:${port}`, toxiproxyUrl: 'http://127.0.0.1:1', databaseUrl: '', proxies: {} };
  const ctx = probeContext(endpoints, startClock());
  try {
    const open = await tcpProbeDriver.sample(spec({ port }), ctx);
    assert.equal(open.ok, true, open.error);
    assert.equal(open.value, 1);
    assert.equal(open.status, null);
    assert.ok(open.latencyMs >= 0 && open.latencyMs < 1000, `connected in ${open.latencyMs} ms`);
    assert.equal((await tcpProbeDriver.sample(spec({}), ctx)).ok, true, 'without a port: the target\'s own address');
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    const closed = await tcpProbeDriver.sample(spec({ port, timeout: '1s' }), ctx);
    assert.equal(closed.ok, false);
    assert.equal(closed.value, 0);
    assert.match(closed.error ?? '', /ECONNREFUSED/);
  } finally {
    server.close();
    await ctx.close();
  }
});

test('tcp probe: its spec and its own description', () => {
  assert.equal(tcpProbeDriver.describe(spec({ port: 5432 })), 'TCP connect to 127.0.0.1:5432 every 1s, timeout 2s');
  assert.equal(tcpProbeDriver.describe(spec({ every: '500ms' })), 'TCP connect to the target every 500ms, timeout 2s');
  assert.throws(() => spec({ port: 70_000 }));
  assert.throws(() => spec({ port: 80, host: 'example.com' }), 'only loopback or the target: no host field');
});
