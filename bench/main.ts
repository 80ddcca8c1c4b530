/**
 * `npm run bench`: brings up its own local stack in a temporary state folder,
 * measures the groups asked for, prints one table (figure, value, goal, met?),
 * writes bench/results.json and takes the stack down (also on Ctrl-C). A
 * measurement, not a gate: it exits 0 whatever the figures say.
 */
import { chmod, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalStack } from '../cli/stack/local.ts';
import { parseBenchArgs, USAGE } from './args.ts';
import type { Group } from './args.ts';
import type { BenchContext } from './context.ts';
import { measureGenerator } from './figures/generator.ts';
import { measureBotTime, measureMargins } from './figures/margins.ts';
import { measureOpenModel } from './figures/open-model.ts';
import { measureOverhead } from './figures/overhead.ts';
import { measureSuite } from './figures/suite.ts';
import { buildResults, describeMachine, formatTable } from './results.ts';
import type { Figure } from './results.ts';

const MEASURE: Record<Group, (ctx: BenchContext) => Promise<Figure[]>> = {
  generator: measureGenerator,
  'open-model': measureOpenModel,
  overhead: measureOverhead,
  margins: measureMargins,
  'bot-time': measureBotTime,
  suite: measureSuite,
};

function progress(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const machine = `${describeMachine()}; load average ${os.loadavg()[0]?.toFixed(2)} at start`;
  const date = new Date();
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'chaosctl-bench-'));
  // The postgres user writes its log under the state folder: mkdtemp's 0700 would shut it out.
  await chmod(workDir, 0o755);
  const stateDir = path.join(workDir, 'state');
  await mkdir(stateDir, { recursive: true });
  const stack = new LocalStack({ stateDir });
  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) return;
    progress('interrupted: finishing the current step, then taking the stack down');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const figures: Figure[] = [];
  try {
    progress(`machine: ${machine}`);
    progress(`groups: ${args.groups.join(', ')}; ${args.seconds} s per side-by-side measurement`);
    progress(`stack: bringing up a local stack in ${stateDir}`);
    const endpoints = await stack.up({ env: {}, sabotage: [] }, (line) => progress(`stack: ${line}`));
    const ctx: BenchContext = { stack, endpoints, stateDir, workDir, seconds: args.seconds, progress, signal: abort.signal };
    for (const group of args.groups) {
      if (abort.signal.aborted) break;
      const t0 = Date.now();
      progress(`── ${group}`);
      try {
        figures.push(...(await MEASURE[group](ctx)));
      } catch (error) {
        const note = `failed: ${(error as Error).message.split('\n')[0]}`;
        progress(`${group}: ${note}`);
        figures.push({ name: `${group}: (group failed)`, value: null, unit: '', goal: { kind: 'none' }, note });
      }
      progress(`${group}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    progress('stack: taking the bench stack down');
    await stack.down((line) => progress(`stack: ${line}`)).catch((error: unknown) => progress(`stack: down failed: ${(error as Error).message}`));
    await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
  }

  const results = buildResults(machine, date, figures);
  process.stdout.write(`\n${formatTable(results.figures)}\n`);
  await mkdir(path.dirname(path.resolve(args.resultsFile)), { recursive: true });
  await writeFile(args.resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  progress(`results: ${args.resultsFile}`);
  return abort.signal.aborted ? 130 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
