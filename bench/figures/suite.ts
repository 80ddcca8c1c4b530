/**
 * Figure 6 (only with --suite): wall time of `chaosctl run --all`, per scenario
 * (from each journal) and in total, and of `npm test`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChaosctl } from '../cli-run.ts';
import type { BenchContext } from '../context.ts';
import type { Figure } from '../results.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function timeCommand(command: string, args: string[], signal: AbortSignal): Promise<{ ms: number; code: number | null }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'ignore', signal });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: Date.now() - started, code }));
  });
}

export async function measureSuite(ctx: BenchContext): Promise<Figure[]> {
  ctx.progress('suite: chaosctl run --all (8 – 10 minutes)');
  const run = await runChaosctl(ctx, ['--all'], 'suite', {
    onLine: (line) => {
      if (/^(PASS|FAIL|ERROR|INTERRUPTED) /.test(line)) ctx.progress(`suite: ${line}`);
    },
  });
  const figures: Figure[] = run.journals
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
    .map((j) => ({ name: `run --all: ${j.scenario.id}`, value: j.durationMs / 1000, unit: 's', goal: { kind: 'none' }, note: `run ${j.status}` }));
  figures.push({ name: 'run --all: total wall time', value: run.wallMs / 1000, unit: 's', goal: { kind: 'atMost', value: 480 }, note: `exit ${run.exitCode}` });
  if (ctx.signal.aborted) return figures;
  ctx.progress('suite: npm test (8 – 10 minutes)');
  const test = await timeCommand('npm', ['test'], ctx.signal);
  figures.push({ name: 'npm test: wall time', value: test.ms / 1000, unit: 's', goal: { kind: 'none' }, note: `exit ${test.code}` });
  return figures;
}
