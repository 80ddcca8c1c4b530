/**
 * HTTPS on the simulators' port: the stack's throwaway CA signs a certificate
 * for 127.0.0.1, a client that trusts the CA gets verified HTTPS, a client that
 * does not is refused by its own verification, plain HTTP keeps working on the
 * same port (the control API), and closing the app ends TLS connections too.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ensureStackTls, removeStackTls } from '../../cli/stack/stack-tls.ts';
import type { StackTlsFiles } from '../../cli/stack/stack-tls.ts';
import { EnvReader } from '../../target/sims/shared/run-sim.ts';
import { readSimTls } from '../../target/sims/shared/tls-listener.ts';
import { buildYooKassaSim } from '../../target/sims/yookassa/sim.ts';

let dir = '';
let files: StackTlsFiles;
let ca: Buffer;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-tls-'));
  files = await ensureStackTls(dir);
  ca = await readFile(files.caCertFile);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const AUTH = `Basic ${Buffer.from('100500:test_simulated_secret_key').toString('base64')}`;

function httpsGet(url: string, options: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, { ...options, headers: { authorization: AUTH } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

test('the stack CA and certificate: made once, key private, the CA key not kept; removed with the stack', async () => {
  assert.equal(statSync(files.keyFile).mode & 0o777, 0o600);
  assert.equal((await ensureStackTls(dir)).certFile, files.certFile);
  assert.equal(statSync(files.certFile).mtimeMs, statSync((await ensureStackTls(dir)).certFile).mtimeMs, 'kept, not remade');
  assert.throws(() => statSync(path.join(files.dir, 'ca.key')));
  const other = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-tls-'));
  await ensureStackTls(other);
  await removeStackTls(other);
  assert.throws(() => statSync(path.join(other, 'tls')));
  await rm(other, { recursive: true, force: true });
});

test('one port: verified HTTPS for a client that trusts the stack CA, refused for one that does not, plain HTTP for the control API', async () => {
  const reader = new EnvReader({ SIM_TLS_CERT_FILE: files.certFile, SIM_TLS_KEY_FILE: files.keyFile });
  const tls = readSimTls(reader);
  reader.check();
  const { app } = buildYooKassaSim({ tls });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const port = new URL(url).port;
  const agent = new https.Agent({ ca, keepAlive: true });
  try {
    for (const host of ['127.0.0.1', 'localhost']) {
      const me = await httpsGet(`https://${host}:${port}/v3/me`, { agent });
      assert.equal(me.status, 200, host);
      assert.equal((JSON.parse(me.body) as { account_id: string }).account_id, '100500');
    }
    await assert.rejects(httpsGet(`https://127.0.0.1:${port}/v3/me`, {}), /self-signed|unable to (verify|get)|UNABLE_TO|certificate/i);
    const status = await fetch(`http://127.0.0.1:${port}/_sim/status`);
    assert.equal(status.status, 200);
    const reset = await fetch(`http://127.0.0.1:${port}/_sim/reset`, { method: 'POST' });
    assert.equal(reset.status, 200);
  } finally {
    // The agent keeps its TLS connection open: close() must still finish.
    const closed = app.close().then(() => 'closed');
    const timeout = new Promise((resolve) => setTimeout(resolve, 3000, 'timed out'));
    assert.equal(await Promise.race([closed, timeout]), 'closed');
    agent.destroy();
  }
});

test('SIM_TLS_CERT_FILE and SIM_TLS_KEY_FILE: both or neither, and readable', () => {
  const none = new EnvReader({});
  assert.equal(readSimTls(none), undefined);
  assert.deepEqual(none.problems, []);
  const half = new EnvReader({ SIM_TLS_CERT_FILE: files.certFile });
  readSimTls(half);
  assert.match(half.problems.join(), /set both or neither/);
  const missing = new EnvReader({ SIM_TLS_CERT_FILE: path.join(dir, 'nope.crt'), SIM_TLS_KEY_FILE: files.keyFile });
  readSimTls(missing);
  assert.match(missing.problems.join(), /cannot read the TLS certificate or key/);
});
