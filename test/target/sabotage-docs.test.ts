import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../cli/paths.ts';
import { SABOTAGE_SWITCHES } from '../../target/sabotage.ts';

test('docs/sabotage.md lists exactly the switches of target/sabotage.ts, with the same description', () => {
  const doc = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'sabotage.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `([a-z0-9-]+)` \| ([^|]+) \|/gm)) rows.set(match[1] as string, (match[2] as string).trim());
  assert.deepEqual([...rows.keys()].sort(), Object.keys(SABOTAGE_SWITCHES).sort());
  for (const [name, description] of Object.entries(SABOTAGE_SWITCHES)) assert.equal(rows.get(name), description, name);
});
