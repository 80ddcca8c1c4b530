import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { renderSchemaFile, SCHEMA_FILE } from '../../cli/engine/write-schema.ts';

test('scenarios/schema.json matches the zod scenario schema', () => {
  let onDisk: string;
  try {
    onDisk = readFileSync(SCHEMA_FILE, 'utf8');
  } catch {
    assert.fail(`${SCHEMA_FILE} is missing: run npm run schema`);
  }
  // Compare text, not objects: key order and formatting are part of the generated file.
  assert.ok(onDisk === renderSchemaFile(), 'scenarios/schema.json is out of date with cli/core/scenario-schema.ts: run npm run schema and commit the result');
});
