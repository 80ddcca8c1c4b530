/** Which instance a metrics probe, a target action and `--instances` mean when the target runs as several. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instanceEndpoints } from '../../cli/drivers/actions/target.ts';
import { scrapeUrls } from '../../cli/drivers/probes/metrics.ts';
import { parseInstances } from '../../cli/commands/shared.ts';
import { ChaosError } from '../../cli/core/errors.ts';
import type { StackEndpoints } from '../../cli/stack/types.ts';

const ONE: StackEndpoints = { targetUrl: 'http://127.0.0.1:4000', toxiproxyUrl: 'http://127.0.0.1:8474', databaseUrl: 'postgres://x@127.0.0.1/db', proxies: {} };
const TWO: StackEndpoints = { ...ONE, targetInstanceUrls: ['http://127.0.0.1:4001', 'http://127.0.0.1:4002'] };

test('a metrics probe scrapes the target when there is one instance', () => {
  assert.deepEqual(scrapeUrls({}, ONE), ['http://127.0.0.1:4000']);
});

test('with two instances a metrics probe scrapes both (to be summed), never HAProxy', () => {
  assert.deepEqual(scrapeUrls({}, TWO), ['http://127.0.0.1:4001', 'http://127.0.0.1:4002']);
});

test('a metrics probe with instance: 2 scrapes only instance 2; a missing instance is an error', () => {
  assert.deepEqual(scrapeUrls({ instance: 2 }, TWO), ['http://127.0.0.1:4002']);
  assert.throws(() => scrapeUrls({ instance: 3 }, TWO), /instance 3 does not exist/);
  assert.throws(() => scrapeUrls({ instance: 2 }, ONE), /instance 2 does not exist/);
});

test('an action with an instance goes to that instance; without one, to the front door', () => {
  assert.equal(instanceEndpoints(TWO, 1).targetUrl, 'http://127.0.0.1:4001');
  assert.equal(instanceEndpoints(TWO, 2).targetUrl, 'http://127.0.0.1:4002');
  assert.equal(instanceEndpoints(TWO, undefined).targetUrl, 'http://127.0.0.1:4000');
  assert.equal(instanceEndpoints(ONE, 1).targetUrl, 'http://127.0.0.1:4000');
  assert.throws(() => instanceEndpoints(ONE, 2), /runs 1 instance$/);
});

test('--instances takes 1 to 4 and nothing else', () => {
  assert.equal(parseInstances(undefined), undefined);
  assert.equal(parseInstances('1'), 1);
  assert.equal(parseInstances('4'), 4);
  for (const bad of ['0', '5', '2.5', 'two', '-1', '']) {
    assert.throws(() => parseInstances(bad), (error: unknown) => error instanceof ChaosError && error.code === 'CHAOSCTL_E_USAGE' && /--instances/.test(error.message));
  }
});
