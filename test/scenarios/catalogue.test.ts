import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { formatProblem, listScenarioFiles, validateScenarioText } from '../../cli/engine/scenario-loader.ts';
import { DEFAULT_SCENARIO_DIR } from '../../cli/paths.ts';

const files = listScenarioFiles(DEFAULT_SCENARIO_DIR);

test('the scenario catalogue folder is readable', () => {
  assert.ok(statSync(DEFAULT_SCENARIO_DIR).isDirectory(), `${DEFAULT_SCENARIO_DIR} is a folder`);
  assert.doesNotThrow(() => readdirSync(DEFAULT_SCENARIO_DIR));
});

for (const file of files) {
  const name = path.basename(file);
  test(`scenarios/${name} is valid and its id matches its file name`, () => {
    const { scenario, problems } = validateScenarioText(readFileSync(file, 'utf8'), `scenarios/${name}`);
    assert.deepEqual(problems.map(formatProblem), [], `scenarios/${name} has problems`);
    assert.equal(scenario?.id, path.basename(name, path.extname(name)));
  });
}
