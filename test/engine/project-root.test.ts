/** From a subfolder, chaosctl finds the project's state and output folders the way git finds its root (issue 11, issue 12). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InjectionLedger } from '../../cli/engine/injection-ledger.ts';
import { PACKAGE_ROOT, projectRoot } from '../../cli/paths.ts';

const BIN = path.join(PACKAGE_ROOT, 'cli', 'bin', 'chaosctl.js');
const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'chaosctl-root-')));
after(() => rmSync(tmp, { recursive: true, force: true }));

function envWithoutStateDir(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CHAOSCTL_STATE_DIR;
  return env;
}

test('projectRoot: the nearest folder up with a .chaosctl/, else the checkout, else the working directory', () => {
  const project = path.join(tmp, 'project');
  const deep = path.join(project, 'a', 'b');
  mkdirSync(path.join(project, '.chaosctl'), { recursive: true });
  mkdirSync(deep, { recursive: true });
  assert.equal(projectRoot(deep, '/nonexistent-package'), project);
  assert.equal(projectRoot(project, '/nonexistent-package'), project);

  const plain = path.join(tmp, 'plain', 'sub');
  mkdirSync(plain, { recursive: true });
  assert.equal(projectRoot(plain, '/nonexistent-package'), plain, 'no marker: the working directory');
  // The checkout is a boundary: a .chaosctl/ above it is another project's.
  const checkout = path.join(project, 'checkout');
  mkdirSync(path.join(checkout, 'docs'), { recursive: true });
  assert.equal(projectRoot(path.join(checkout, 'docs'), checkout), checkout);
  assert.equal(projectRoot(path.join(PACKAGE_ROOT, 'docs')), PACKAGE_ROOT);
});

test('from a subfolder, status reads the project\'s own state folder and creates none in the subfolder', () => {
  const project = path.join(tmp, 'cli-project');
  const sub = path.join(project, 'docs', 'notes');
  mkdirSync(sub, { recursive: true });
  new InjectionLedger(path.join(project, '.chaosctl')).add({
    key: 'r/C1/s',
    runId: 'r',
    scenarioId: 'C1',
    step: 's',
    spec: { driver: 'toxiproxy', proxy: 'postgres', toxic: 'latency', latency: '1s', stream: 'downstream', toxicity: 1 },
    description: 'latency on postgres',
    pid: 1,
    state: 'applied',
    since: new Date(0).toISOString(),
  });
  const result = spawnSync(process.execPath, [BIN, 'status', '--json'], { cwd: sub, env: envWithoutStateDir(), encoding: 'utf8', timeout: 60_000 });
  const status = JSON.parse(result.stdout) as { faults: Array<{ step: string }> };
  assert.deepEqual(status.faults.map((f) => f.step), ['s'], result.stderr);
  assert.equal(existsSync(path.join(sub, '.chaosctl')), false);
});

test('from a subfolder of the checkout, run writes to the checkout\'s reports/runs/ (shown relative to where you are)', () => {
  const result = spawnSync(process.execPath, [BIN, 'run', '--help'], { cwd: path.join(PACKAGE_ROOT, 'docs'), env: envWithoutStateDir(), encoding: 'utf8', timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout.replace(/\s+/g, ' '), /--out <dir> .*\(default: "\.\.\/reports\/runs"\)/);
});

test('reports/runs/ is ignored by git at any depth', () => {
  for (const file of ['reports/runs/x/index.html', 'docs/reports/runs/x/index.html']) {
    const result = spawnSync('git', ['check-ignore', '--no-index', '-q', file], { cwd: PACKAGE_ROOT });
    assert.equal(result.status, 0, `${file} is not ignored`);
  }
});
