import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBenchArgs } from '../../bench/args.ts';

test('by default every group but the suite, 10 s each, results in bench/results.json', () => {
  assert.deepEqual(parseBenchArgs([]), {
    groups: ['generator', 'open-model', 'overhead', 'margins', 'bot-time'],
    seconds: 10,
    resultsFile: 'bench/results.json',
    help: false,
  });
});

test('--only picks groups, kept in run order; --suite adds the suite', () => {
  assert.deepEqual(parseBenchArgs(['--only', 'margins,generator']).groups, ['generator', 'margins']);
  assert.deepEqual(parseBenchArgs(['--only=overhead', '--suite']).groups, ['overhead', 'suite']);
  assert.deepEqual(parseBenchArgs(['--suite']).groups, ['generator', 'open-model', 'overhead', 'margins', 'bot-time', 'suite']);
});

test('bad options are refused with the reason', () => {
  assert.throws(() => parseBenchArgs(['--only', 'generator,speed']), /unknown group speed/);
  assert.throws(() => parseBenchArgs(['--seconds', '1']), /2 to 120/);
  assert.throws(() => parseBenchArgs(['--seconds', 'ten']), /2 to 120/);
  assert.throws(() => parseBenchArgs(['--seconds']), /needs a value/);
  assert.throws(() => parseBenchArgs(['--fast']), /unknown option --fast/);
});
