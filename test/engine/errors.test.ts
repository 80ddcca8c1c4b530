import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ChaosError, ERRORS, EXIT, exitCodeFor, formatMessage, type ErrorCode } from '../../cli/core/errors.ts';
import { PACKAGE_ROOT } from '../../cli/paths.ts';

const EXIT_TEXT: Record<string, string> = { badInput: '2', stackFailure: '3', interrupted: '130/143' };

function documentedCodes(): Map<string, string> {
  const doc = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `(CHAOSCTL_E_[A-Z_]+)` \| ([^|]+) \|/gm)) rows.set(match[1] as string, (match[2] as string).trim());
  return rows;
}

test('docs/errors.md lists exactly the codes of the catalogue, each with its exit code', () => {
  const documented = documentedCodes();
  assert.deepEqual([...documented.keys()].sort(), Object.keys(ERRORS).sort());
  for (const [code, entry] of Object.entries(ERRORS)) assert.equal(documented.get(code), EXIT_TEXT[entry.exit], `exit of ${code}`);
});

test('messages fill their placeholders and keep unknown ones visible', () => {
  assert.equal(formatMessage('CHAOSCTL_E_SCENARIO_NOT_FOUND', { id: 'L99', dir: '/s' }), 'no scenario "L99" (looked in /s); `chaosctl list` shows them');
  assert.match(formatMessage('CHAOSCTL_E_DRIVER', { driver: 'x' }), /\{operation\}/);
});

test('exit codes follow the error class', () => {
  const cases: Array<[ErrorCode, number]> = [
    ['CHAOSCTL_E_SCENARIO_INVALID', EXIT.badInput],
    ['CHAOSCTL_E_USAGE', EXIT.badInput],
    ['CHAOSCTL_E_STACK_UP', EXIT.stackFailure],
    ['CHAOSCTL_E_DRIVER', EXIT.stackFailure],
  ];
  for (const [code, exit] of cases) assert.equal(exitCodeFor(new ChaosError(code)), exit, code);
  assert.equal(exitCodeFor(new ChaosError('CHAOSCTL_E_INTERRUPTED'), 'SIGTERM'), 143);
  assert.equal(exitCodeFor(new ChaosError('CHAOSCTL_E_INTERRUPTED'), 'SIGINT'), 130);
  assert.equal(exitCodeFor(new Error('boom')), EXIT.stackFailure);
});
