/** `chaosctl doctor`'s checks: each missing piece comes with the command that fixes it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { doctor } from '../../cli/stack/doctor.ts';

test('docker mode is not ready when no daemon answers, and the fix is the host-network dockerd command', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'unix:///nonexistent/chaosctl-doctor-test.sock';
  try {
    const reports = await doctor({ ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' });
    const docker = reports.find((r) => r.mode === 'docker');
    assert.ok(docker);
    assert.equal(docker.ready, false);
    const daemon = docker.checks.find((c) => c.name === 'Docker daemon');
    assert.equal(daemon?.ok, false);
    assert.match(daemon?.fix ?? '', /^dockerd --bridge=none --iptables=false --ip6tables=false /);
    const local = reports.find((r) => r.mode === 'local');
    assert.equal(local?.checks.find((c) => c.name === 'PostgreSQL')?.detail, 'external (DATABASE_URL is set)');
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

test('a Toxiproxy binary that is neither configured, on PATH, cached nor buildable is reported with the go install command', async () => {
  const reports = await doctor({ PATH: '/nonexistent', HOME: '/nonexistent-home', DOCKER_HOST: 'unix:///nonexistent.sock' });
  const toxiproxy = reports.find((r) => r.mode === 'local')?.checks.find((c) => c.name === 'Toxiproxy server');
  assert.equal(toxiproxy?.ok, false);
  assert.match(toxiproxy?.fix ?? '', /go install github\.com\/Shopify\/toxiproxy\/v2\/cmd\/server@v2\.12\.0/);
  assert.equal(reports.find((r) => r.mode === 'local')?.ready, false, 'local mode cannot run without it');
});
