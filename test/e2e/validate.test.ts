import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../cli/paths.ts';

const BIN = path.join(PACKAGE_ROOT, 'cli', 'bin', 'chaosctl.js');

// Three mistakes, on lines 6, 10 and 17: an unknown key, a bad duration, a reference to a step that does not exist.
const THREE_MISTAKES = `id: E2E
title: Three mistakes
kind: load
covers: [L11]
timeline:
  duraton: 30s
  steps:
    - name: traffic
      at: 0s
      for: 10 seconds
      load: { driver: http, path: /health, rate: 10 }
expect:
  - kind: errors
    id: no-errors
    clause: L11
    text: no failed requests
    load: trafic-jam
`;

function runChaosctl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('chaosctl validate reports all three mistakes with their lines and exits 2', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaosctl-e2e-'));
  try {
    const file = path.join(dir, 'three-mistakes.yaml');
    writeFileSync(file, THREE_MISTAKES);
    const { status, stdout, stderr } = runChaosctl(['validate', file]);
    assert.doesNotMatch(stderr, /unknown command/, 'validate is not registered in cli/commands/index.ts');
    assert.equal(status, 2, stderr);
    assert.equal(stdout, '', 'human output goes to stderr');
    for (const line of [6, 10, 17]) assert.match(stderr, new RegExp(`three-mistakes\\.yaml:${line}:\\d+ `), `line ${line} in:\n${stderr}`);
    assert.match(stderr, /timeline\.duraton {2}unknown key "duraton" \(did you mean "duration"\?\)/);
    assert.match(stderr, /expect\[0\]\.load {2}no step named "trafic-jam"/);
    assert.match(stderr, /1 with 3 problems/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('chaosctl validate --json prints the problems on stdout', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaosctl-e2e-'));
  try {
    const file = path.join(dir, 'three-mistakes.yaml');
    writeFileSync(file, THREE_MISTAKES);
    const { status, stdout } = runChaosctl(['validate', '--json', file]);
    assert.equal(status, 2);
    const report = JSON.parse(stdout) as { ok: boolean; problemCount: number; files: { problems: { line: number; path: string }[] }[] };
    assert.equal(report.ok, false);
    assert.equal(report.problemCount, 3);
    assert.deepEqual(
      report.files[0]?.problems.map((p) => [p.line, p.path]),
      [
        [6, 'timeline.duraton'],
        [10, 'timeline.steps[0].for'],
        [17, 'expect[0].load'],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
