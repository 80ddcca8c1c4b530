import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'test-results-parser';
import type { Journal } from '../../cli/core/journal.ts';
import { judgeProof } from '../../cli/core/proof.ts';
import { writeProveOutputs, type ProofInput } from '../../reports/write.ts';
import { buildJournal } from './journal-fixture.ts';
import { checkMarkup, startTags } from './markup-check.ts';

function sabotagedWith(journal: Journal, name: string): Journal {
  return { ...journal, environment: { ...journal.environment, sabotage: [name] } };
}

/** A proof of C1 with two switches: the healthy fixture run, and one sabotaged run per switch. */
function proofOf(sabotagedRuns: Array<[string, Journal]>): { proofs: ProofInput[]; journals: Journal[] } {
  const healthy = buildJournal('passed');
  const journals = [healthy];
  const proofs = sabotagedRuns.map(([name, run]): ProofInput => {
    const sabotaged = sabotagedWith(run, name);
    journals.push(sabotaged);
    return { title: healthy.scenario.title, row: judgeProof('C1', name, healthy, sabotaged), healthy: { journal: healthy }, sabotaged };
  });
  return { proofs, journals };
}

async function written(proofs: ProofInput[], journals: Journal[]): Promise<{ dir: string; junit: string; index: string; files: string[] }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-prove-'));
  await writeProveOutputs(proofs, journals, dir);
  return {
    dir,
    junit: path.join(dir, 'junit.xml'),
    index: await readFile(path.join(dir, 'index.html'), 'utf8'),
    files: await readdir(dir),
  };
}

test('a proof where every switch is caught: JUnit read by a JUnit parser has 0 failures, one passed case per switch', async () => {
  const { proofs, journals } = proofOf([
    ['health-db-check', buildJournal('failed')],
    ['alert-cooldown', buildJournal('failed')],
  ]);
  const out = await written(proofs, journals);
  try {
    const result = parse({ type: 'junit', files: [out.junit] });
    assert.equal(result.failed, 0);
    assert.equal(result.errors, 0);
    assert.equal(result.total, 2);
    assert.equal(result.suites.length, 1, 'one suite for the scenario, not one per run');
    const cases = result.suites.flatMap((s) => s.cases);
    assert.deepEqual(cases.map((c) => [c.name, c.status]), [['C1 health-db-check', 'PASS'], ['C1 alert-cooldown', 'PASS']]);
    assert.ok(cases.every((c) => c.duration > 0), 'each case takes the time of its two runs');
    assert.deepEqual(out.files.filter((f) => f.endsWith('.junit.xml')), [], 'no per-run JUnit file that a CI glob would pick up');
    assert.deepEqual(checkMarkup(out.index, 'html'), []);
    assert.match(out.index, /class="hero status-passed"/);
    assert.doesNotMatch(out.index, /badge-lg">failed/);
    assert.match(out.index, /Every switch was caught: 2 of 2/);
    // Both runs are linked from each row, and the links point at pages that were written.
    const links = startTags(out.index, 'a').map((a) => a.href ?? '');
    assert.equal(links.length, 4);
    for (const href of links) assert.ok(out.files.includes(href), `${href} was written`);
  } finally {
    await rm(out.dir, { recursive: true, force: true });
  }
});

test('a switch that is not caught is a JUnit failure naming it, and the page says which at the top', async () => {
  const { proofs, journals } = proofOf([
    ['health-db-check', buildJournal('failed')],
    ['alert-cooldown', buildJournal('passed')],
  ]);
  const out = await written(proofs, journals);
  try {
    const result = parse({ type: 'junit', files: [out.junit] });
    assert.equal(result.failed, 1);
    const missed = result.suites.flatMap((s) => s.cases).find((c) => c.status === 'FAIL');
    assert.equal(missed?.name, 'C1 alert-cooldown');
    assert.match(missed?.failure ?? '', /not caught/);
    assert.match(out.index, /class="hero status-failed"/);
    assert.match(out.index, /Not proved:<\/b> C1 alert-cooldown — not caught/);
  } finally {
    await rm(out.dir, { recursive: true, force: true });
  }
});

test('a healthy run reused from an earlier folder is linked there, relative to the proof page', async () => {
  const healthy = buildJournal('passed');
  const sabotaged = sabotagedWith(buildJournal('failed'), 'health-db-check');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-prove-'));
  try {
    const reusedFile = path.join(dir, 'earlier', 'C1.journal.json');
    const proofs: ProofInput[] = [{ title: 't', row: judgeProof('C1', 'health-db-check', healthy, sabotaged), healthy: { journal: healthy, reusedFile }, sabotaged }];
    await writeProveOutputs(proofs, [sabotaged], path.join(dir, 'proof'));
    const index = await readFile(path.join(dir, 'proof', 'index.html'), 'utf8');
    assert.deepEqual(startTags(index, 'a').map((a) => a.href), ['../earlier/C1.html', 'C1.html']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
