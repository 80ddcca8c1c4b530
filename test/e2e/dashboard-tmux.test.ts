/**
 * End to end: `chaosctl run L11 C1` with its live dashboard in a real terminal (tmux at
 * 80×24), NO_COLOR set. The final screen must hold both verdicts and the report path,
 * whole, and tmux must have seen no colour attribute. Then the same without a terminal:
 * `NO_COLOR=1 chaosctl run L11 | cat` writes no escape sequence. Both take the shared
 * scenario lock through flock, so they never run beside another stack's scenarios.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, isolatedEnv } from './cli.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';

const LOCK = '/tmp/chaosctl-scenarios.lock';
const ESC = String.fromCharCode(27);

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

test('the dashboard at 80×24 ends with both verdicts and the report path on screen, in no colour', { timeout: 1_800_000 }, async () => {
  const { stateDir, outDir } = isolatedEnv();
  const socket = `chaosctl-test-${process.pid}`;
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  // CI is unset inside: the dashboard is only used on a terminal outside CI, and this test is about the dashboard.
  const command = [
    `cd ${shellQuote(PACKAGE_ROOT)}`,
    `env -u CI NO_COLOR=1 CHAOSCTL_STATE_DIR=${shellQuote(stateDir)} flock ${LOCK} ${shellQuote(process.execPath)} ${shellQuote(BIN)} run L11 C1 --out ${shellQuote(outDir)}`,
    'echo CHAOSCTL_EXIT=$?',
    'sleep 600',
  ].join('; ');
  tmux('new-session', '-d', '-s', 'dash', '-x', '80', '-y', '24', command);
  try {
    let screen = '';
    for (let waited = 0; !screen.includes('CHAOSCTL_EXIT=') && waited < 1_700_000; waited += 2000) {
      await sleep(2000);
      screen = tmux('capture-pane', '-p', '-J', '-t', 'dash');
    }
    assert.match(screen, /CHAOSCTL_EXIT=[01]\b/, `the run ended with a verdict:\n${screen}`);
    const lines = screen.split('\n');
    assert.ok(lines.some((l) => /^(PASSED|FAILED) +L11 in /.test(l)), `L11's verdict is on the final screen:\n${screen}`);
    assert.ok(lines.some((l) => /^(PASSED|FAILED) +C1 in /.test(l)), `C1's verdict is on the final screen:\n${screen}`);
    const report = /reports: (\S+index\.html)/.exec(screen);
    assert.ok(report, `the report path is on the final screen:\n${screen}`);
    assert.ok(existsSync(report[1] as string), `the report path is whole: ${report[1]}`);
    assert.match(screen, /chaosctl: L11 (passed|failed), C1 (passed|failed) → exit [01]/);
    // -e keeps the attributes tmux drew with: with NO_COLOR there must be none.
    const styled = tmux('capture-pane', '-p', '-e', '-S', '-', '-t', 'dash');
    assert.ok(!styled.includes(`${ESC}[3`) && !styled.includes(`${ESC}[9`), 'no foreground colour was drawn');
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    spawnSync(process.execPath, [BIN, 'down'], { cwd: PACKAGE_ROOT, env: { ...process.env, CHAOSCTL_STATE_DIR: stateDir }, stdio: 'ignore', timeout: 60_000 });
  }
});

test('NO_COLOR=1 chaosctl run L11 | cat: no escape sequence on either stream', { timeout: 1_800_000 }, () => {
  const { env, outDir } = isolatedEnv();
  const result = spawnSync('flock', [LOCK, process.execPath, BIN, 'run', 'L11', '--out', outDir], { cwd: PACKAGE_ROOT, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 1_700_000 });
  assert.ok(result.status === 0 || result.status === 1, result.stderr);
  assert.match(result.stderr, /reports: /);
  assert.ok(!result.stdout.includes(ESC) && !result.stderr.includes(ESC), 'no escape sequence');
});
