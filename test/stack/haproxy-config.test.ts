/** The generated HAProxy config: what it promises, and that HAProxy itself accepts it (haproxy -c). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HAPROXY_BINARIES, haproxyConfig, haproxyMarker } from '../../cli/stack/haproxy.ts';

const BACKENDS = [
  { name: 'target1', port: 41001 },
  { name: 'target2', port: 41002 },
];

test('the front door binds to loopback on the given port only', () => {
  const text = haproxyConfig({ frontPort: 40999, backends: BACKENDS });
  const binds = text.split('\n').filter((line) => line.trim().startsWith('bind '));
  assert.deepEqual(binds.map((l) => l.trim()), ['bind 127.0.0.1:40999']);
});

test('every instance is a server on 127.0.0.1 with a health check', () => {
  const text = haproxyConfig({ frontPort: 40999, backends: BACKENDS, checkIntervalMs: 300 });
  const servers = text.split('\n').filter((line) => line.trim().startsWith('server '));
  assert.deepEqual(
    servers.map((l) => l.trim()),
    ['server target1 127.0.0.1:41001 check inter 300ms fall 2 rise 1', 'server target2 127.0.0.1:41002 check inter 300ms fall 2 rise 1'],
  );
  assert.match(text, /option httpchk GET \/health/);
  // 503 is the target's own verdict on a shared dependency; only silence takes an instance out.
  assert.match(text, /http-check expect rstatus \^\(200\|503\)\$/);
});

test('balance defaults to roundrobin and can be leastconn', () => {
  assert.match(haproxyConfig({ frontPort: 1, backends: BACKENDS }), /^\s+balance roundrobin$/m);
  assert.match(haproxyConfig({ frontPort: 1, backends: BACKENDS, balance: 'leastconn' }), /^\s+balance leastconn$/m);
});

test('a refused connection is tried again on another instance', () => {
  const text = haproxyConfig({ frontPort: 1, backends: BACKENDS });
  assert.match(text, /^\s+retries [1-9]$/m);
  assert.match(text, /^\s+option redispatch/m);
});

test('no backends is a programming error', () => {
  assert.throws(() => haproxyConfig({ frontPort: 1, backends: [] }), /at least one backend/);
});

test('the check interval has a floor of 100 ms', () => {
  assert.match(haproxyConfig({ frontPort: 1, backends: BACKENDS, checkIntervalMs: 5 }), /inter 100ms/);
});

test('the marker names the binary, foreground mode and the config file', () => {
  assert.equal(haproxyMarker('/usr/sbin/haproxy', '/x/haproxy.cfg'), '/usr/sbin/haproxy -db -f /x/haproxy.cfg');
});

const binary = HAPROXY_BINARIES.find((candidate) => existsSync(candidate));

test('haproxy -c accepts the generated config', { skip: binary || process.env.CI === 'true' ? false : 'haproxy is not installed (CI installs it)' }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-haproxy-'));
  try {
    const file = path.join(dir, 'haproxy.cfg');
    writeFileSync(file, haproxyConfig({ frontPort: 40999, backends: BACKENDS }));
    const out = execFileSync(binary ?? 'haproxy', ['-c', '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /Configuration file is valid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
