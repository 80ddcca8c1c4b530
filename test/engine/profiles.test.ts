/** Scenario profiles: the merge rules, and the loader laying a profile over a file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ChaosError } from '../../cli/core/errors.ts';
import { applyProfile, mergeProfile, profileNames } from '../../cli/engine/profiles.ts';
import { checkScenarioFile, loadScenarioFile } from '../../cli/engine/scenario-loader.ts';

test('objects merge key by key; scalars and unnamed lists are replaced', () => {
  assert.deepEqual(mergeProfile({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 4 }, e: 5 }), { a: 1, b: { c: 2, d: 4 }, e: 5 });
  assert.deepEqual(mergeProfile({ covers: ['L5'] }, { covers: ['L5', 'B7'] }), { covers: ['L5', 'B7'] });
  assert.deepEqual(mergeProfile([1, 2, 3], [9]), [9]);
});

test('lists of named items merge by name (or id): matched items merge, new ones are appended', () => {
  const base = { steps: [{ name: 'load', for: '10s', load: { users: 100 } }, { name: 'fault', at: '2s' }] };
  const merged = mergeProfile(base, { steps: [{ name: 'load', load: { users: 10000 } }, { name: 'extra', at: '9s' }] });
  assert.deepEqual(merged, { steps: [{ name: 'load', for: '10s', load: { users: 10000 } }, { name: 'fault', at: '2s' }, { name: 'extra', at: '9s' }] });
  const byId = mergeProfile([{ id: 'p95', below: '2s' }], [{ id: 'p95', below: '5s' }]);
  assert.deepEqual(byId, [{ id: 'p95', below: '5s' }]);
  assert.deepEqual(base.steps[0], { name: 'load', for: '10s', load: { users: 100 } }, 'the base is not changed');
});

test('applyProfile ignores id and nested profiles, and answers null for an unknown profile', () => {
  const raw = { id: 'L5', timeline: { duration: '30s' }, profiles: { full: { id: 'X', profiles: { y: {} }, timeline: { duration: '6m' } } } };
  assert.deepEqual(applyProfile(raw, 'full'), { id: 'L5', timeline: { duration: '6m' }, profiles: raw.profiles });
  assert.equal(applyProfile(raw, 'quick'), null);
  assert.deepEqual(profileNames(raw), ['full']);
  assert.deepEqual(profileNames({ id: 'L5' }), []);
});

const SCENARIO = `id: P1
title: Profiles
kind: load
covers: [L11]
probes:
  - { name: health, kind: http, path: /health }
timeline:
  steps:
    - name: traffic
      for: 10s
      load: { driver: http, path: /health, rate: 20 }
expect:
  - { id: p95, kind: latency, clause: L11, text: fast, load: traffic, below: 200ms }
profiles:
  full:
    timeline:
      steps:
        - name: traffic
          for: 60s
          load: { rate: 100 }
    expect:
      - { id: p95, below: 300ms }
  broken:
    timeline:
      steps:
        - name: traffic
          load: { rate: -1 }
`;

test('the loader lays a profile over the file; validation checks every profile', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'chaosctl-profiles-'));
  try {
    const file = path.join(dir, 'P1.yaml');
    writeFileSync(file, SCENARIO);
    const full = await loadScenarioFile(file, 'full');
    assert.equal(full.profile, 'full');
    const step = full.scenario.timeline.steps[0];
    assert.equal(step?.for, '60s');
    assert.equal(step?.load?.driver === 'http' ? step.load.rate : undefined, 100);
    assert.equal(step?.load?.driver === 'http' ? step.load.path : undefined, '/health', 'the rest of the step is kept');
    const p95 = full.scenario.expect[0];
    assert.equal(p95?.kind === 'latency' ? p95.below : undefined, '300ms');

    const plain = await loadScenarioFile(file);
    assert.equal(plain.profile, undefined);
    assert.equal(plain.scenario.timeline.steps[0]?.for, '10s');

    await assert.rejects(loadScenarioFile(file, 'broken'), (error: unknown) => error instanceof ChaosError && /rate/.test(error.details.join('\n')));
    await assert.rejects(loadScenarioFile(file, 'nope'), (error: unknown) => error instanceof ChaosError && /no profile named "nope"/.test(error.details.join('\n')));

    const check = await checkScenarioFile(file);
    assert.equal(check.scenario, null, 'a broken profile makes the file invalid');
    assert.equal(check.problems.length, 1);
    assert.match(check.problems[0]?.message ?? '', /^with profile "broken": /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
