import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Journal } from '../../cli/core/journal.ts';
import { readJournal, uniqueBaseNames, writeRunOutputs } from '../../reports/write.ts';
import { buildEmptyJournal, buildJournal } from './journal-fixture.ts';
import { checkMarkup, startTags } from './markup-check.ts';

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-reports-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function withId(journal: Journal, id: string): Journal {
  return { ...journal, scenario: { ...journal.scenario, id } };
}

test('writes per-scenario journal, JUnit and HTML, plus the run JUnit and index, into a new nested folder', async () => {
  await withTempDir(async (dir) => {
    const outDir = path.join(dir, 'reports', 'runs', '2025-03-01');
    const journals = [withId(buildJournal('passed'), 'L11'), withId(buildJournal('failed'), 'C1')];
    const { files } = await writeRunOutputs(journals, outDir);
    const names = ['L11.journal.json', 'L11.junit.xml', 'L11.html', 'C1.journal.json', 'C1.junit.xml', 'C1.html', 'junit.xml', 'index.html'];
    assert.deepEqual(files, names.map((name) => path.join(outDir, name)));
    for (const file of files) assert.ok((await stat(file)).size > 0, `${file} is empty`);

    const runJunit = await readFile(path.join(outDir, 'junit.xml'), 'utf8');
    assert.deepEqual(checkMarkup(runJunit, 'xml'), []);
    assert.deepEqual(startTags(runJunit, 'testsuite').map((s) => s.name?.split(':')[0]), ['L11', 'C1']);
    const oneJunit = await readFile(path.join(outDir, 'C1.junit.xml'), 'utf8');
    assert.equal(startTags(oneJunit, 'testsuite').length, 1);

    const index = await readFile(path.join(outDir, 'index.html'), 'utf8');
    assert.deepEqual(startTags(index, 'a').map((a) => a.href), ['L11.html', 'C1.html']);
    const report = await readFile(path.join(outDir, 'C1.html'), 'utf8');
    assert.deepEqual(checkMarkup(report, 'html'), []);
  });
});

test('the journal file is pretty JSON and round-trips through readJournal', async () => {
  await withTempDir(async (dir) => {
    const journal = buildJournal('failed');
    await writeRunOutputs([journal, buildEmptyJournal()], dir);
    const file = path.join(dir, 'C1.journal.json');
    const text = await readFile(file, 'utf8');
    assert.match(text, /^\{\n {2}"journalVersion": 1,\n/);
    assert.deepEqual(await readJournal(file), journal);
  });
});

test('scenarios with the same id in one run get distinct files', async () => {
  await withTempDir(async (dir) => {
    const { files } = await writeRunOutputs([buildJournal('passed'), buildEmptyJournal()], dir);
    assert.ok(files.includes(path.join(dir, 'C1.html')));
    assert.ok(files.includes(path.join(dir, 'C1-2.html')));
    const index = await readFile(path.join(dir, 'index.html'), 'utf8');
    assert.deepEqual(startTags(index, 'a').map((a) => a.href), ['C1.html', 'C1-2.html']);
  });
  assert.deepEqual(uniqueBaseNames(['C1', 'C1', '../x', 'C1', '']), ['C1', 'C1-2', '___x', 'C1-3', 'scenario']);
});

test('an empty run still writes a valid junit.xml and index.html', async () => {
  await withTempDir(async (dir) => {
    const { files } = await writeRunOutputs([], dir);
    assert.deepEqual(files, [path.join(dir, 'junit.xml'), path.join(dir, 'index.html')]);
    assert.deepEqual(checkMarkup(await readFile(files[0] ?? '', 'utf8'), 'xml'), []);
  });
});

test('readJournal rejects files that are not a journal of this version, saying why', async () => {
  await withTempDir(async (dir) => {
    const write = async (name: string, content: string): Promise<string> => {
      const file = path.join(dir, name);
      await writeFile(file, content, 'utf8');
      return file;
    };
    const journal = buildJournal('passed');
    const future = await write('future.json', JSON.stringify({ ...journal, journalVersion: 2 }));
    await assert.rejects(readJournal(future), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /future\.json has journal version 2, but this chaosctl reads version 1 only/);
      return true;
    });
    const unversioned = await write('plain.json', JSON.stringify({ hello: 'world' }));
    await assert.rejects(readJournal(unversioned), /plain\.json is not a chaosctl journal: it has no "journalVersion" field/);
    const array = await write('array.json', '[1, 2]');
    await assert.rejects(readJournal(array), /no "journalVersion" field/);
    const broken = await write('broken.json', '{"journalVersion": 1,');
    await assert.rejects(readJournal(broken), /broken\.json is not a chaosctl journal: not valid JSON/);
    const partial = await write('partial.json', JSON.stringify({ ...journal, loads: undefined, steadyState: {} }));
    await assert.rejects(readJournal(partial), /partial\.json is not a complete chaosctl journal: missing or malformed loads, steadyState/);
    await assert.rejects(readJournal(path.join(dir, 'missing.json')), /cannot read journal .*missing\.json: ENOENT/);
  });
});
