/**
 * The CI examples in docs/ci.md: each YAML block parses, and every chaosctl command and
 * option it uses exists in the real command tree, so the examples cannot drift from the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { parse } from 'yaml';
import { registerCommands } from '../cli/commands/index.ts';
import { PACKAGE_ROOT } from '../cli/paths.ts';

const DOC = readFileSync(path.join(PACKAGE_ROOT, 'docs', 'ci.md'), 'utf8');

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/** Every shell line the example runs: GitHub `run:` values, GitLab script lists. */
function shellLines(node: unknown): string[] {
  if (typeof node === 'string') return [];
  if (Array.isArray(node)) return node.flatMap(shellLines);
  if (node === null || typeof node !== 'object') return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'run' && typeof value === 'string') out.push(...value.split('\n'));
    else if (['script', 'before_script', 'after_script'].includes(key) && Array.isArray(value)) out.push(...value.filter((v): v is string => typeof v === 'string'));
    else out.push(...shellLines(value));
  }
  return out;
}

/** Each `chaosctl <command> <args…>` in a line, shell quoting and $(…) aside. */
function chaosctlCalls(line: string): string[][] {
  const calls: string[][] = [];
  for (const match of line.matchAll(/chaosctl\s+([^|;&)]*)/g)) {
    const words = (match[1] ?? '').replace(/"\$\([^)]*\)?"?|"[^"]*"/g, 'ARG').trim().split(/\s+/).filter(Boolean);
    calls.push(words);
  }
  return calls;
}

function program(): Command {
  const root = new Command('chaosctl');
  registerCommands(root);
  return root;
}

test('docs/ci.md has a GitHub Actions workflow and a GitLab CI job, both valid YAML', () => {
  const blocks = yamlBlocks(DOC).map((text) => parse(text) as Record<string, unknown>);
  assert.equal(blocks.length, 2);
  const [github, gitlab] = blocks;
  assert.ok(github && typeof github.jobs === 'object', 'GitHub Actions: jobs');
  assert.ok(gitlab && typeof gitlab.chaos === 'object', 'GitLab: the chaos job');
  const artifacts = (gitlab.chaos as { artifacts: { reports: { junit: string[] }; paths: string[] } }).artifacts;
  assert.ok(artifacts.reports.junit.length > 0, 'GitLab publishes JUnit');
  assert.ok(artifacts.paths.includes('reports/ci/'), 'GitLab keeps the HTML');
  const steps = Object.values(github.jobs as Record<string, { steps: Array<{ uses?: string }> }>).flatMap((j) => j.steps);
  assert.ok(steps.some((s) => s.uses?.startsWith('actions/upload-artifact')), 'GitHub uploads the HTML');
  assert.ok(steps.some((s) => s.uses?.includes('junit')), 'GitHub publishes JUnit');
});

test('every chaosctl command and option in the examples exists', () => {
  const root = program();
  const calls = yamlBlocks(DOC).flatMap((text) => shellLines(parse(text))).flatMap(chaosctlCalls);
  const used = new Set(calls.map((c) => c[0]));
  for (const needed of ['up', 'run', 'prove', 'down']) assert.ok(used.has(needed), `the examples use chaosctl ${needed}`);
  for (const [name, ...args] of calls) {
    const command = root.commands.find((c) => c.name() === name);
    assert.ok(command, `chaosctl ${name} exists`);
    const flags = new Set(command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)));
    for (const arg of args.filter((a) => a.startsWith('-'))) assert.ok(flags.has(arg), `chaosctl ${name} has ${arg}`);
  }
});

test('the check itself catches a made-up command or option', () => {
  const root = program();
  const run = root.commands.find((c) => c.name() === 'run');
  assert.ok(run);
  assert.ok(!run.options.some((o) => o.long === '--fail-fast'));
  assert.deepEqual(chaosctlCalls('npx chaosctl prove --all --baseline "$(ls -d x/*/ | head -n 1)"'), [['prove', '--all', '--baseline', 'ARG']]);
});
