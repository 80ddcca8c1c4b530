import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpSpec, runDriverProcess } from '../../bench/driver-client.ts';

// A real server on port 0: the bench's driver process must load it and hand back the driver's record.
test('the driver process runs chaosctl\'s HTTP driver against a URL and returns its record', async () => {
  let served = 0;
  const server = http.createServer((_req, res) => {
    served += 1;
    res.writeHead(served % 5 === 0 ? 503 : 200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    let started = 0;
    const record = await runDriverProcess(`http://127.0.0.1:${port}`, httpSpec('/health', 40, 2), 1500, () => (started += 1));
    assert.equal(started, 1, 'onStarted is called once, when the load begins');
    assert.equal(record.spec.driver, 'http');
    assert.ok(record.requests > 0, 'requests were sent');
    // Answers still in flight when the load stopped (at most one per connection) are not in the record.
    assert.ok(served - record.requests >= 0 && served - record.requests <= 2, `server saw ${served}, record has ${record.requests}`);
    assert.equal((record.statusCounts['200'] ?? 0) + (record.statusCounts['503'] ?? 0), record.requests);
    assert.equal(record.errors, record.statusCounts['503'] ?? 0, 'a 503 counts as an error');
    assert.equal(record.latency.count, record.requests, 'each answer is in the latency histogram');
  } finally {
    server.close();
  }
});

test('a driver process that cannot run says why', async () => {
  await assert.rejects(runDriverProcess('http://example.com', httpSpec('/health', 10, 1), 500), /loopback only|driver process exited/);
});
