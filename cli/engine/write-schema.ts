/**
 * Writes scenarios/schema.json, the JSON Schema editors use for scenario files,
 * from the zod scenario schema. Run with `npm run schema`; the drift test
 * (test/engine/schema-drift.test.ts) fails when the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { isEntryPoint } from './entry-point.ts';
import { DEFAULT_SCENARIO_DIR } from '../paths.ts';
import { scenarioJsonSchema } from '../drivers/registry.ts';

/** Where the generated schema lives. */
export const SCHEMA_FILE = path.join(DEFAULT_SCENARIO_DIR, 'schema.json');

/** The exact text of scenarios/schema.json: 2-space JSON and a trailing newline. */
export function renderSchemaFile(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

/** Writes the schema file and returns its path. */
export function writeSchemaFile(file: string = SCHEMA_FILE): string {
  writeFileSync(file, renderSchemaFile());
  return file;
}

if (isEntryPoint(import.meta.url)) {
  const written = writeSchemaFile();
  process.stdout.write(`wrote ${path.relative(process.cwd(), written) || written}\n`);
}
