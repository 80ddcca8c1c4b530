/**
 * End to end in docker mode: the real chaosctl binary against containers made
 * through Dockerode. C1's fault is `docker stop` of the PostgreSQL container;
 * SIGINT must bring it back before exit 130, and after a SIGKILL `recover
 * --stack docker` must. Nothing labelled by a test's stack may outlive it.
 *
 * Needs a Docker daemon. In CI (CI=true) a missing daemon fails these tests;
 * elsewhere they are skipped with the reason printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isolatedEnv, runCli, spawnCli } from './cli.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';
import { canConnect } from '../../cli/stack/postgres-cluster.ts';
import { daemonAnswers, DOCKERD_COMMAND, dockerClient, STACK_LABEL } from '../../cli/stack/docker/client.ts';
import { baseTag, imageExists } from '../../cli/stack/docker/images.ts';
import { containerName, containerState, STATE_DIR_LABEL } from '../../cli/stack/docker/containers.ts';
import { readDockerState } from '../../cli/stack/docker/state.ts';

const docker = dockerClient();
const available = await daemonAnswers(docker);
if (!available && process.env.CI === 'true') {
  throw new Error(`CI=true but no Docker daemon answers; .ci/run starts one with \`${DOCKERD_COMMAND}\``);
}
const skip = available ? false : `no Docker daemon answers (start one: \`${DOCKERD_COMMAND} &\`)`;
if (skip) process.stderr.write(`test/e2e/docker.test.ts: skipped: ${skip}\n`);

async function upDocker(env: NodeJS.ProcessEnv): Promise<StackEndpoints> {
  const up = await runCli(['up', '--stack', 'docker', '--json'], env, 900_000);
  assert.equal(up.code, 0, up.stderr);
  const state = await readDockerState(env.CHAOSCTL_STATE_DIR as string);
  assert.ok(state, 'docker-stack.json written');
  for (const secret of Object.values(state.secrets)) assert.ok(!up.stdout.includes(secret) && !up.stderr.includes(secret), 'up never prints a token');
  return JSON.parse(up.stdout) as StackEndpoints;
}

async function postgresContainer(stateDir: string): Promise<string> {
  const state = await readDockerState(stateDir);
  assert.ok(state);
  return containerName(state.stackId, 'postgres');
}

/** Takes the stack down and checks nothing this test's state folder created is left in Docker. */
async function downAndCheckEmpty(env: NodeJS.ProcessEnv): Promise<void> {
  const down = await runCli(['down', '--stack', 'docker'], env);
  assert.equal(down.code, 0, down.stderr);
  const left = await docker.listContainers({ all: true, filters: { label: [`${STATE_DIR_LABEL}=${env.CHAOSCTL_STATE_DIR as string}`] } });
  assert.deepEqual(left.map((c) => c.Names.join(',')), [], 'no container of this stack is left');
}

test("docker mode: SIGINT while C1's PostgreSQL container is stopped exits 130 and the container runs again", { skip, timeout: 900_000 }, async () => {
  const { env, stateDir, outDir } = isolatedEnv();
  try {
    const endpoints = await upDocker(env);
    const postgres = await postgresContainer(stateDir);
    assert.equal((await containerState(docker, postgres)).state, 'running');

    const run = spawnCli(['run', 'C1', '--stack', 'docker', '--no-dashboard', '--out', outDir], env);
    await run.waitFor(/fault db-down in place/, 120_000);
    assert.equal((await containerState(docker, postgres)).state, 'stopped', 'the fault really stopped the container');
    assert.equal(await canConnect(endpoints.databaseUrl, 1000), false);
    run.child.kill('SIGINT');
    const result = await run.result;
    assert.equal(result.code, 130, result.stderr);

    assert.equal((await containerState(docker, postgres)).state, 'running', 'the container runs again');
    assert.equal(await canConnect(endpoints.databaseUrl), true, 'PostgreSQL answers');
    const folder = path.join(outDir, readdirSync(outDir)[0] as string);
    const journal = JSON.parse(readFileSync(path.join(folder, 'C1.journal.json'), 'utf8')) as {
      status: string;
      environment: { stackMode: string };
      faults: Array<{ injectDetail?: string; revertDetail?: string }>;
    };
    assert.equal(journal.status, 'interrupted');
    assert.equal(journal.environment.stackMode, 'docker');
    assert.match(journal.faults[0]?.injectDetail ?? '', new RegExp(`^container ${postgres}: docker stop at \\d{4}-`));
    assert.match(journal.faults[0]?.revertDetail ?? '', new RegExp(`^container ${postgres}: docker start at \\d{4}-`));
    assert.match(readFileSync(path.join(folder, 'C1.html'), 'utf8'), new RegExp(`container ${postgres}: docker stop`));
  } finally {
    await downAndCheckEmpty(env);
  }
});

test('docker mode: after a SIGKILL with the container stopped, `recover --stack docker` starts it again', { skip, timeout: 900_000 }, async () => {
  const { env, stateDir, outDir } = isolatedEnv();
  try {
    const endpoints = await upDocker(env);
    const postgres = await postgresContainer(stateDir);
    const run = spawnCli(['run', 'C1', '--stack', 'docker', '--no-dashboard', '--out', outDir], env);
    await run.waitFor(/fault db-down in place/, 120_000);
    run.child.kill('SIGKILL');
    await run.result;

    const status = await runCli(['status', '--stack', 'docker'], env);
    assert.equal(status.code, 3, 'status reports the container down and the fault left behind');
    assert.match(status.stderr, /DOWN\s+postgres\s+container chaosctl-\w+-postgres \(\w+\) stopped/);
    assert.match(status.stderr, /FAULT C1\/db-down/);
    assert.equal((await containerState(docker, postgres)).state, 'stopped', 'the killed run left the container stopped');

    const recovered = await runCli(['recover', '--stack', 'docker'], env);
    assert.equal(recovered.code, 0, recovered.stderr);
    assert.match(recovered.stderr, /1 fault\(s\) reverted/);
    assert.equal((await containerState(docker, postgres)).state, 'running');
    assert.equal(await canConnect(endpoints.databaseUrl), true);
    assert.equal((await runCli(['status', '--stack', 'docker'], env)).code, 0);
  } finally {
    await downAndCheckEmpty(env);
  }
});

test('docker mode: `down` removes the containers its state folder created, even with the state file lost, and nothing else', { skip, timeout: 120_000 }, async () => {
  const { env, stateDir } = isolatedEnv();
  const other = `${stateDir}-someone-else`;
  const image = baseTag();
  assert.equal(await imageExists(docker, image), true, `${image} is built (chaosctl images build)`);
  const make = (name: string, labels: Record<string, string>) =>
    docker.createContainer({ name, Image: image, Cmd: ['sleep', '60'], Labels: labels, HostConfig: { NetworkMode: 'host' } });
  const suffix = Date.now().toString(36);
  const ours = await make(`chaosctl-lost-${suffix}`, { [STACK_LABEL]: 'lost0000', [STATE_DIR_LABEL]: stateDir });
  const theirs = await make(`chaosctl-theirs-${suffix}`, { [STACK_LABEL]: 'other000', [STATE_DIR_LABEL]: other });
  const unlabelled = await make(`not-chaosctl-${suffix}`, {});
  try {
    await ours.start();
    const down = await runCli(['down', '--stack', 'docker'], env);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, new RegExp(`leftover container chaosctl-lost-${suffix}: removed`));
    assert.equal((await containerState(docker, `chaosctl-lost-${suffix}`)).state, 'missing');
    assert.equal((await containerState(docker, `chaosctl-theirs-${suffix}`)).state, 'stopped', "another state folder's container is left alone");
    assert.equal((await containerState(docker, `not-chaosctl-${suffix}`)).state, 'stopped', 'an unlabelled container is left alone');
  } finally {
    for (const c of [ours, theirs, unlabelled]) await c.remove({ force: true }).catch(() => undefined);
  }
});
