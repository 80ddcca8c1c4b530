/**
 * docker/compose.yaml (for machines with a registry) and the Dockerode provider
 * (cli/stack/docker/services.ts) must describe the same stack: the same
 * services, commands, environment and proxies. The ports are read from the
 * compose file and fed to the provider's spec builder, so any drift shows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import { containerSpecs, proxiesFor, START_ORDER } from '../../cli/stack/docker/services.ts';
import type { DockerPorts } from '../../cli/stack/docker/services.ts';
import type { StackSecrets } from '../../cli/stack/simulators.ts';

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  network_mode?: string;
  volumes?: string[];
}

const compose = parse(readFileSync(path.join(PACKAGE_ROOT, 'docker', 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const toxiproxyConfig = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'docker', 'toxiproxy.json'), 'utf8')) as Array<{ name: string; listen: string; upstream: string }>;
const services = compose.services;

/** The compose file takes its secrets from the environment; these are its placeholders, verbatim. */
const secrets: StackSecrets = {
  botToken: '${BOT_TOKEN:?set BOT_TOKEN (docs/docker.md)}',
  yookassaShopId: '${YOOKASSA_SHOP_ID:?set YOOKASSA_SHOP_ID (docs/docker.md)}',
  yookassaSecretKey: '${YOOKASSA_SECRET_KEY:?set YOOKASSA_SECRET_KEY (docs/docker.md)}',
  cryptopayToken: '${CRYPTOPAY_TOKEN:?set CRYPTOPAY_TOKEN (docs/docker.md)}',
  controlToken: '${CONTROL_TOKEN:?set CONTROL_TOKEN (docs/docker.md)}',
};

function port(service: string, key: string): number {
  const value = services[service]?.environment?.[key];
  assert.ok(value !== undefined, `compose service ${service} sets ${key}`);
  return Number(value);
}

function composePorts(): DockerPorts {
  const command = services.toxiproxy?.command ?? [];
  const proxies: Record<string, number> = {};
  for (const proxy of toxiproxyConfig) proxies[proxy.name] = Number(proxy.listen.split(':')[1]);
  return {
    postgres: port('postgres', 'PGPORT'),
    toxiproxy: Number(command[command.indexOf('-port') + 1]),
    target: port('target', 'PORT'),
    telegram: port('telegram', 'PORT'),
    yookassa: port('yookassa', 'PORT'),
    cryptopay: port('cryptopay', 'PORT'),
    proxies,
  };
}

test('compose names the same services as the provider, all on the host network', () => {
  assert.deepEqual(Object.keys(services).sort(), [...START_ORDER].sort());
  for (const [name, service] of Object.entries(services)) assert.equal(service.network_mode, 'host', `${name} uses host networking`);
});

test('every service has the environment the provider gives its container', () => {
  const specs = containerSpecs(composePorts(), secrets, { env: {}, sabotage: [] }, './tls');
  for (const spec of specs) {
    assert.deepEqual(services[spec.service]?.environment ?? {}, spec.env, `environment of ${spec.service}`);
  }
});

test('the Node services run the same commands; Toxiproxy listens where the provider expects', () => {
  const specs = containerSpecs(composePorts(), secrets, { env: {}, sabotage: [] }, './tls');
  for (const spec of specs.filter((s) => s.image === 'node')) {
    assert.deepEqual(services[spec.service]?.command, spec.cmd, `command of ${spec.service}`);
    // docker/make-tls.sh fills docker/tls/, which compose mounts where the provider mounts its stack's folder.
    assert.deepEqual(services[spec.service]?.volumes, spec.binds, `certificate mount of ${spec.service}`);
  }
  const toxiproxy = specs.find((s) => s.service === 'toxiproxy');
  assert.deepEqual(services.toxiproxy?.command?.slice(0, toxiproxy?.cmd.length), toxiproxy?.cmd);
  assert.match(services.toxiproxy?.image ?? '', /toxiproxy:2\.12\.0$/);
  assert.equal(services.postgres?.image, 'postgres:15');
});

test("toxiproxy.json has exactly the provider's proxies: same names, listen and upstream addresses", () => {
  const expected = Object.values(proxiesFor(composePorts())).map(({ name, listen, upstream }) => ({ name, listen, upstream }));
  const actual = toxiproxyConfig.map(({ name, listen, upstream }) => ({ name, listen, upstream }));
  assert.deepEqual(actual.sort((a, b) => a.name.localeCompare(b.name)), expected.sort((a, b) => a.name.localeCompare(b.name)));
});
