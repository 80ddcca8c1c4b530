/**
 * The docker stack with two target instances: a container per instance, an
 * HAProxy container on the target port and a Redis container they share, in
 * webhook mode; the same promises as local mode (multi-instance-checks.ts),
 * and back to one instance removes HAProxy, Redis and instance 2's container.
 *
 * Needs a Docker daemon with the offline images (built on first use). In CI
 * (CI=true) a missing daemon fails these tests; elsewhere they are skipped.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { daemonAnswers, DOCKERD_COMMAND, dockerClient, SERVICE_LABEL } from '../../cli/stack/docker/client.ts';
import { containerName, containerState, STATE_DIR_LABEL } from '../../cli/stack/docker/containers.ts';
import { readDockerState } from '../../cli/stack/docker/state.ts';
import { DockerStack } from '../../cli/stack/docker.ts';
import { redisAnswers } from '../../cli/stack/redis-server.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';
import { httpStatusOf, requestsReachBothInstances, survivesInstanceTwoKilled, targetWithoutInstanceMeansAll, unknownInstanceIsClearError, webhookGoesToFrontDoor } from './multi-instance-checks.ts';

const docker = dockerClient();
const available = await daemonAnswers(docker);
if (!available && process.env.CI === 'true') throw new Error(`CI=true but no Docker daemon answers; .ci/run starts one with \`${DOCKERD_COMMAND}\``);
const skip = available ? false : `no Docker daemon answers (start one: \`${DOCKERD_COMMAND} &\`)`;
if (skip) process.stderr.write(`test/stack/docker-multi-instance.test.ts: skipped: ${skip}\n`);

const stateDir = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-docker-multi-'));
const stack = new DockerStack({ stateDir, docker });
let endpoints: StackEndpoints;

/** The role label of every container this test's stack has, sorted. */
async function roles(): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${STATE_DIR_LABEL}=${stateDir}`] } });
  return list.map((c) => c.Labels[SERVICE_LABEL] ?? '?').sort();
}


after(async () => {
  if (!skip) await stack.down();
  rmSync(stateDir, { recursive: true, force: true });
});

test('docker, instances: 2: HAProxy container on the target port, a container per instance, a Redis container', { skip, timeout: 900_000 }, async () => {
  endpoints = await stack.up({ env: {}, sabotage: [], instances: 2 });
  const state = await readDockerState(stateDir);
  assert.ok(state?.ports.instances && state.ports.redis !== undefined);
  assert.deepEqual(await roles(), ['cryptopay', 'haproxy', 'postgres', 'redis', 'target', 'target-2', 'telegram', 'toxiproxy', 'yookassa']);
  assert.equal(endpoints.targetUrl, `http://127.0.0.1:${state.ports.target}`);
  assert.deepEqual(endpoints.targetInstanceUrls, state.ports.instances.map((port) => `http://127.0.0.1:${port}`));
  assert.ok(!state.ports.instances.includes(state.ports.target), 'no instance listens on the front door');
  assert.ok(await redisAnswers(state.ports.redis, 1000));
  for (const key of ['target', 'target-2']) {
    const info: Docker.ContainerInspectInfo = await docker.getContainer(containerName(state.stackId, key)).inspect();
    const env: Record<string, string> = Object.fromEntries(info.Config.Env.map((line: string) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    assert.equal(env.REDIS_URL, `redis://127.0.0.1:${state.ports.redis}`);
    assert.equal(env.BOT_MODE, 'webhook');
  }
  assert.equal(await httpStatusOf(`${endpoints.targetUrl}/health`), 200);
});

test('docker: the Telegram simulator delivers to the webhook behind the HAProxy container', { skip, timeout: 30_000 }, async () => {
  await webhookGoesToFrontDoor(endpoints);
});

test('docker: requests through HAProxy reach both instance containers', { skip, timeout: 30_000 }, async () => {
  await requestsReachBothInstances(endpoints);
});

test("docker: with instance 2's container killed the service keeps answering, and it comes back", { skip, timeout: 90_000 }, async () => {
  await survivesInstanceTwoKilled(stack, endpoints);
  const state = await readDockerState(stateDir);
  assert.equal((await containerState(docker, containerName(state?.stackId ?? '', 'target-2'))).state, 'running');
});

test('docker: a fault on the target without an instance pauses both containers', { skip, timeout: 90_000 }, async () => {
  await targetWithoutInstanceMeansAll(stack);
});

test('docker: an instance that does not exist is a clear error', { skip }, async () => {
  await unknownInstanceIsClearError(stack);
});

test('docker: back to one instance, the target container takes the target port again; HAProxy, Redis and instance 2 are removed', { skip, timeout: 300_000 }, async () => {
  endpoints = await stack.up({ env: {}, sabotage: [] });
  assert.deepEqual(await roles(), ['cryptopay', 'postgres', 'target', 'telegram', 'toxiproxy', 'yookassa']);
  assert.equal(endpoints.targetInstanceUrls, undefined);
  const state = await readDockerState(stateDir);
  const info = await docker.getContainer(containerName(state?.stackId ?? '', 'target')).inspect();
  assert.ok(info.Config.Env.includes(`PORT=${state?.ports.target}`));
  assert.ok(!info.Config.Env.some((line) => line.startsWith('BOT_MODE=')));
  assert.equal(await httpStatusOf(`${endpoints.targetUrl}/health`), 200);
});
