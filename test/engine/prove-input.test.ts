/** `prove` on bad input ends with exit 2 and a catalogue code, before any stack starts (issue 11, issue 13 item 4). */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_SCENARIO_DIR, PACKAGE_ROOT } from '../../cli/paths.ts';

const BIN = path.join(PACKAGE_ROOT, 'cli', 'bin', 'chaosctl.js');
const root = mkdtempSync(path.join(os.tmpdir(), 'chaosctl-prove-input-'));
const state = path.join(root, 'state');
after(() => {
  // Should a regression start a stack after all, it is taken down before its state goes.
  if (existsSync(path.join(state, 'stack.json'))) {
    spawnSync(process.execPath, [BIN, 'down'], { cwd: PACKAGE_ROOT, env: { ...process.env, CHAOSCTL_STATE_DIR: state }, stdio: 'ignore', timeout: 60_000 });
  }
  rmSync(root, { recursive: true, force: true });
});

function prove(args: string[]): { code: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, 'prove', '--no-dashboard', ...args], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, CHAOSCTL_STATE_DIR: state },
    encoding: 'utf8',
    timeout: 60_000,
  });
  // Bad input is found before the stack: nothing was started.
  assert.equal(existsSync(path.join(state, 'stack.json')), false, 'no stack was started');
  return { code: result.status, stderr: result.stderr };
}

test('prove on a scenario that lists no switch is bad input: exit 2, CHAOSCTL_E_PROVE_NO_SWITCHES', () => {
  const dir = path.join(root, 'scenarios');
  mkdirSync(dir, { recursive: true });
  const text = readFileSync(path.join(DEFAULT_SCENARIO_DIR, 'L11.yaml'), 'utf8');
  assert.match(text, /^catches: .*\n/m);
  writeFileSync(path.join(dir, 'L11.yaml'), text.replace(/^catches: .*\n/m, ''));
  const result = prove(['--scenarios', dir, 'L11']);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /L11: no sabotage switch listed under "catches".*\[CHAOSCTL_E_PROVE_NO_SWITCHES\]/);
});

test('prove --baseline on a malformed journal, or a folder without journals, is bad input: exit 2, CHAOSCTL_E_BASELINE', () => {
  const empty = path.join(root, 'empty-run');
  mkdirSync(empty, { recursive: true });
  const broken = path.join(root, 'broken-run');
  mkdirSync(broken, { recursive: true });
  writeFileSync(path.join(broken, 'L11.journal.json'), '{"journalVersion": ');
  const foreign = path.join(root, 'foreign-run');
  mkdirSync(foreign, { recursive: true });
  writeFileSync(path.join(foreign, 'L11.journal.json'), '{"hello": "world"}');
  for (const [dir, why] of [
    [empty, /no \*\.journal\.json in it/],
    [broken, /not valid JSON/],
    [foreign, /no "journalVersion" field/],
    [path.join(root, 'absent'), /ENOENT/],
  ] as const) {
    const result = prove(['--baseline', dir, 'L11']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--baseline .* is not a usable run folder: /);
    assert.match(result.stderr, why);
    assert.match(result.stderr, /\[CHAOSCTL_E_BASELINE\]/);
    assert.doesNotMatch(result.stderr, /unexpected failure/);
  }
});
