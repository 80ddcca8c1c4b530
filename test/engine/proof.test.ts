import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeProof, proofSummary } from '../../cli/core/proof.ts';
import type { ExpectationResult, Journal, RunStatus } from '../../cli/core/journal.ts';

function journal(status: RunStatus, failedIds: string[] = []): Journal {
  const expectations = ['a', 'b'].concat(failedIds.filter((id) => id !== 'a' && id !== 'b')).map(
    (id): ExpectationResult => ({ id, kind: 'probe', clause: 'C1', text: 't', assertion: 'x', passed: !failedIds.includes(id), observed: '', evidence: {} }),
  );
  return { status, expectations, steadyState: { before: [], after: [] }, ...(status === 'passed' ? {} : { reason: 'because' }) } as unknown as Journal;
}

test('caught only when the healthy run passes and the sabotaged run fails', () => {
  const row = judgeProof('C1', 'health-db-check', journal('passed'), journal('failed', ['a']));
  assert.equal(row.outcome, 'caught');
  assert.equal(row.detail, 'a');
});

test('a scenario that also fails on the healthy target proves nothing', () => {
  assert.equal(judgeProof('C1', 's', journal('failed', ['a']), journal('failed', ['a'])).outcome, 'baseline-failed');
});

test('a sabotaged run that still passes is not caught; an errored one is inconclusive', () => {
  assert.equal(judgeProof('C1', 's', journal('passed'), journal('passed')).outcome, 'not-caught');
  assert.equal(judgeProof('C1', 's', journal('passed'), journal('error')).outcome, 'inconclusive');
  assert.equal(judgeProof('C1', 's', journal('passed'), journal('interrupted')).outcome, 'inconclusive');
});

test('the summary needs every row caught, and at least one row', () => {
  const caught = judgeProof('C1', 's', journal('passed'), journal('failed', ['a']));
  const missed = judgeProof('L1', 's', journal('passed'), journal('passed'));
  assert.deepEqual(proofSummary([caught, caught]), { caught: 2, total: 2, scenariosCaught: 1, scenarios: 1, allCaught: true, inconclusive: false });
  const mixed = proofSummary([caught, missed, { ...caught, scenario: 'L1', sabotage: 't' }]);
  assert.equal(mixed.allCaught, false);
  assert.deepEqual([mixed.caught, mixed.total, mixed.scenariosCaught, mixed.scenarios], [2, 3, 1, 2], 'L1 missed one of its two switches');
  assert.equal(proofSummary([]).allCaught, false);
});
