/**
 * The docker stack's pure parts: image tags by content hash, the containers'
 * configuration, and decoding Docker's multiplexed log stream. No daemon needed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { containerName, demux, specHash } from '../../cli/stack/docker/containers.ts';
import { baseTag, recipes, recipeTag, shortHash } from '../../cli/stack/docker/images.ts';
import { containerKey, containerSpecs, proxiesFor } from '../../cli/stack/docker/services.ts';
import type { DockerPorts } from '../../cli/stack/docker/services.ts';
import { DockerStackStateSchema } from '../../cli/stack/docker/state.ts';
import { newSecrets } from '../../cli/stack/simulators.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-docker-units-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const ports: DockerPorts = {
  postgres: 5001,
  toxiproxy: 5002,
  target: 5003,
  telegram: 5004,
  yookassa: 5005,
  cryptopay: 5006,
  proxies: { postgres: 6001, telegram: 6002, yookassa: 6003, cryptopay: 6004 },
};

test('shortHash is stable, and the boundaries between parts count', () => {
  assert.equal(shortHash(['a', 'b']), shortHash(['a', 'b']));
  assert.match(shortHash(['x']), /^[0-9a-f]{16}$/);
  assert.notEqual(shortHash(['ab', 'c']), shortHash(['a', 'bc']));
});

test('an image tag changes with the content of a file going in, not with its path', async () => {
  const tp = file('toxiproxy-a', 'server v1');
  const node = file('node-a', 'node binary');
  const tags = async (toxiproxy: string, nodeBinary: string, base = baseTag()): Promise<string[]> => Promise.all(recipes(base, toxiproxy, nodeBinary).map((r) => recipeTag(r)));
  const first = await tags(tp, node);
  assert.deepEqual(await tags(tp, node), first, 'an unchanged tree gives the same tags (no rebuild)');
  assert.deepEqual(await tags(file('toxiproxy-b', 'server v1'), node), first, 'same bytes elsewhere: same tags');
  const changed = await tags(file('toxiproxy-c', 'server v2'), node);
  assert.equal(changed[0], first[0], 'postgres does not depend on the toxiproxy binary');
  assert.notEqual(changed[1], first[1], 'toxiproxy is rebuilt when its binary changes');
  assert.equal(changed[2], first[2]);
  const rebased = await tags(tp, node, 'chaosctl/base:other');
  for (let i = 0; i < first.length; i++) assert.notEqual(rebased[i], first[i], 'a new base rebuilds everything on it');
  assert.equal(first.length, 4);
  for (const tag of first) assert.match(tag, /^chaosctl\/(postgres|toxiproxy|node|scaleout):[0-9a-f]{16}$/);
});

test('every offline image is built FROM the imported base, never from a registry image', () => {
  for (const recipe of recipes(baseTag(), '/x/server', '/x/node')) {
    const froms = recipe.dockerfile.split('\n').filter((l) => l.startsWith('FROM '));
    assert.deepEqual(froms, [`FROM ${baseTag()}`], recipe.kind);
  }
});

test("the target's container: stack-owned settings win over a scenario's overrides, every address is 127.0.0.1", () => {
  const secrets = newSecrets();
  const specs = containerSpecs(ports, secrets, { env: { DATABASE_URL: 'postgres://elsewhere:1/x', REMINDER_WINDOW: '5' }, sabotage: ['health-db-check'] }, '/state/docker/tls');
  const target = specs.find((s) => s.service === 'target');
  assert.ok(target);
  assert.equal(target.env.DATABASE_URL, 'postgres://postgres@127.0.0.1:6001/postgres', 'the target reaches PostgreSQL through its proxy');
  assert.equal(target.env.TELEGRAM_API_ROOT, 'https://127.0.0.1:6002', 'HTTPS through Toxiproxy, as in local mode');
  assert.equal(target.env.NODE_EXTRA_CA_CERTS, '/tls/ca.crt', "the target trusts the stack's CA");
  assert.equal(target.env.REMINDER_WINDOW, '5');
  assert.equal(target.env.CHAOSCTL_SABOTAGE, 'health-db-check');
  assert.equal(target.env.BOT_TOKEN, secrets.botToken);
  for (const spec of specs) {
    for (const [key, value] of Object.entries(spec.env)) {
      if (/^[a-z]+:\/\//.test(value)) assert.equal(new URL(value).hostname, '127.0.0.1', `${spec.service} ${key}=${value}`);
    }
  }
  for (const spec of specs.filter((s) => s.image === 'node')) {
    assert.deepEqual(spec.binds, ['/state/docker/tls:/tls:ro'], `${spec.service} mounts the certificates read-only`);
  }
  for (const sim of specs.filter((s) => s.service !== 'target' && s.image === 'node')) {
    assert.equal(sim.env.SIM_TLS_CERT_FILE, '/tls/server.crt', `${sim.service} serves HTTPS`);
    assert.equal(sim.env.SIM_TLS_KEY_FILE, '/tls/server.key');
  }
  for (const proxy of Object.values(proxiesFor(ports))) {
    assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/);
    assert.match(proxy.upstream, /^127\.0\.0\.1:\d+$/);
  }
});

test('several instances: one container each on its own port, HAProxy on the target port in front of them, a Redis, webhook mode', () => {
  const secrets = { ...newSecrets(), webhookSecret: 'hook-secret' };
  const scaled: DockerPorts = { ...ports, instances: [7001, 7002, 7003], redis: 7100 };
  const specs = containerSpecs(scaled, secrets, { env: {}, sabotage: [], instances: 2 }, '/t');
  assert.deepEqual(specs.map(containerKey), ['postgres', 'telegram', 'yookassa', 'cryptopay', 'redis', 'toxiproxy', 'target', 'target-2', 'haproxy']);
  const targets = specs.filter((s) => s.service === 'target');
  assert.deepEqual(targets.map((t) => t.port), [7001, 7002], 'a third recorded port is not used by two instances');
  for (const t of targets) {
    assert.equal(t.env.PORT, String(t.port));
    assert.equal(t.env.REDIS_URL, 'redis://127.0.0.1:7100');
    assert.equal(t.env.BOT_MODE, 'webhook');
    assert.equal(t.env.BOT_WEBHOOK_URL, 'http://127.0.0.1:5003/telegram/webhook', "Telegram's webhook goes through the front door");
    assert.equal(t.env.BOT_WEBHOOK_SECRET, 'hook-secret');
  }
  const haproxy = specs.find((s) => s.service === 'haproxy');
  assert.equal(haproxy?.port, 5003);
  const config = haproxy?.env.HAPROXY_CONFIG ?? '';
  assert.match(config, /bind 127\.0\.0\.1:5003\n/);
  assert.match(config, /server target1 127\.0\.0\.1:7001 /);
  assert.match(config, /server target2 127\.0\.0\.1:7002 /);
  assert.doesNotMatch(config, /7003/);
  const redis = specs.find((s) => s.service === 'redis');
  assert.deepEqual(redis?.cmd.slice(0, 5), ['redis-server', '--port', '7100', '--bind', '127.0.0.1']);
  // One instance: none of it, and the target back on the target port.
  const single = containerSpecs(scaled, secrets, { env: {}, sabotage: [] }, '/t');
  assert.deepEqual(single.map(containerKey), ['postgres', 'telegram', 'yookassa', 'cryptopay', 'toxiproxy', 'target']);
  assert.equal(single.find((s) => s.service === 'target')?.env.PORT, '5003');
  assert.equal(single.find((s) => s.service === 'target')?.env.BOT_MODE, undefined);
  // Without the ports or the secret recorded, it says so instead of guessing.
  assert.throws(() => containerSpecs(ports, secrets, { env: {}, sabotage: [], instances: 2 }, '/t'), /needs 2 instance ports/);
});

test('a container is recreated when its configuration changes (spec hash), not otherwise', () => {
  const secrets = newSecrets();
  const target = (sabotage: string[], tls = '/a/tls') => containerSpecs(ports, secrets, { env: {}, sabotage }, tls).find((s) => s.service === 'target');
  const plain = target([]);
  const sabotaged = target(['health-db-check']);
  assert.ok(plain && sabotaged);
  assert.equal(specHash(plain, 'img:1'), specHash(target([]) ?? plain, 'img:1'));
  assert.notEqual(specHash(plain, 'img:1'), specHash(sabotaged, 'img:1'));
  assert.notEqual(specHash(plain, 'img:1'), specHash(plain, 'img:2'));
  assert.notEqual(specHash(plain, 'img:1'), specHash(target([], '/b/tls') ?? plain, 'img:1'), 'another certificate folder');
  assert.equal(containerName('1a2b3c4d', 'postgres'), 'chaosctl-1a2b3c4d-postgres');
});

test("demux decodes Docker's multiplexed stdout/stderr frames and passes plain text through", () => {
  const frame = (stream: number, text: string): Buffer => {
    const body = Buffer.from(text);
    const header = Buffer.alloc(8);
    header[0] = stream;
    header.writeUInt32BE(body.length, 4);
    return Buffer.concat([header, body]);
  };
  assert.equal(demux(Buffer.concat([frame(1, 'out line\n'), frame(2, 'err line\n')])), 'out line\nerr line\n');
  assert.equal(demux(Buffer.from('plain text from a tty container\n')), 'plain text from a tty container\n');
});

test('the docker state file schema rejects a stack id that could not be a label value', () => {
  const state = {
    version: 1,
    stackId: 'ab12cd34',
    ports,
    secrets: newSecrets(),
    images: { postgres: 'p:1', toxiproxy: 't:1', node: 'n:1' },
    target: { env: {}, sabotage: [] },
  };
  assert.equal(DockerStackStateSchema.safeParse(state).success, true);
  assert.equal(DockerStackStateSchema.safeParse({ ...state, stackId: 'x,y=z' }).success, false);
});
