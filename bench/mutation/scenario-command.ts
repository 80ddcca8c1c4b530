/**
 * The command Stryker's command runner starts for every mutant, in its sandbox
 * (the package copied, the mutated files instrumented with every mutant at once).
 *
 * Stryker names the active mutant in __STRYKER_ACTIVE_MUTANT__ but not its file,
 * so the file is found by the mutant's switch in the instrumented sources. The
 * file's scenarios (bench/mutation/modules.ts) then run one by one through the
 * real CLI, against the one stack of this sandbox: the run restarts the target
 * whenever the active mutant changed (cli/stack/active-mutant.ts). Every run
 * happens inside the machine-wide scenario lock, taken in slices
 * (scenario-lease.ts) so others get their turns between them. Exit 0 = every scenario passed (the
 * mutant survived), 1 = one failed (killed; the rest are skipped).
 *
 * Without an active mutant (Stryker's dry run) it brings the stack up with the
 * instrumented target, which shows the instrumented code starts healthy.
 * Each call appends what it did, with timings, to $CHAOSCTL_MUTATION_LOG.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ACTIVE_MUTANT_ENV } from '../../cli/stack/active-mutant.ts';
import { mutatedFiles } from './modules.ts';
import { holdLease, LEASE_FILE_ENV } from './scenario-lease.ts';

/** Room a mutant needs inside the lock per scenario (target restart, runner, timeline). */
const SCENARIO_ROOM_MS = 60_000;
export const COMMAND_LOG_ENV = 'CHAOSCTL_MUTATION_LOG';

/**
 * Stryker counts every non-zero exit as a kill; a run that failed for the
 * harness's own reasons starts its output with this, so the results leave it
 * out and the next run measures the mutant again.
 */
export const HARNESS_FAULT = 'harness fault';

interface Finished {
  code: number;
  output: string;
}

function log(line: string): void {
  const file = process.env[COMMAND_LOG_ENV];
  if (file) appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
}

/**
 * Longest one scenario run may take; a mutant that hangs a scenario past it is
 * reported as a timeout. Stryker's own timeout cannot do this: it would count
 * the time spent waiting for the lock.
 */
const SCENARIO_TIMEOUT_MS = 5 * 60_000;
/** What a run cut off by SCENARIO_TIMEOUT_MS prints; results.ts reads it as a timeout. */
export const SCENARIO_TIMEOUT = 'scenario timeout';

function chaosctl(args: string[]): Promise<Finished & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join('cli', 'bin', 'chaosctl.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let timedOut = false;
    // SIGTERM: chaosctl reverts every fault it injected and exits 143.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, SCENARIO_TIMEOUT_MS);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), output, timedOut });
    });
  });
}

/** The file whose instrumented source holds the switch of mutant `id`, by searching the mutated files under `root`. */
export async function fileOfMutant(root: string, id: string, files: readonly string[]): Promise<string | undefined> {
  const needle = new RegExp(`stryMutAct_\\w+\\("${id}"\\)`);
  for (const file of files) {
    const text = await readFile(path.join(root, file), 'utf8');
    if (needle.test(text)) return file;
  }
  return undefined;
}

/** The lines of a chaosctl run worth keeping as the reason a mutant was killed: failed expectations, the verdict, errors. */
export function verdictLines(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('✗') || /^(FAIL|ERROR|INTERRUPTED) /.test(line) || line.includes('CHAOSCTL_E_'));
}

async function main(): Promise<number> {
  const active = process.env[ACTIVE_MUTANT_ENV];
  const leaseFile = process.env[LEASE_FILE_ENV];
  if (!leaseFile) {
    console.log(`${HARNESS_FAULT}: ${LEASE_FILE_ENV} is not set (run through npm run mutation)`);
    return 1;
  }
  if (active === undefined) {
    await holdLease(leaseFile, SCENARIO_ROOM_MS);
    const up = await chaosctl(['up']);
    log(`dry run: chaosctl up exit ${up.code}`);
    if (up.code !== 0) {
      console.log(`${HARNESS_FAULT}: chaosctl up exit ${up.code}\n${up.output.split('\n').slice(-15).join('\n')}`);
      return 1;
    }
    console.log('dry run: the stack is up with the instrumented target');
    return 0;
  }
  const files = mutatedFiles();
  const file = await fileOfMutant(process.cwd(), active, files.map((f) => f.file));
  const entry = files.find((f) => f.file === file);
  if (!entry) {
    console.log(`${HARNESS_FAULT}: mutant ${active} not found in any mutated file`);
    return 1;
  }
  await holdLease(leaseFile, SCENARIO_ROOM_MS * entry.scenarios.length);
  for (const id of entry.scenarios) {
    const started = Date.now();
    const run = await chaosctl(['run', id, '--no-dashboard']);
    log(`mutant ${active} (${entry.file}): ${id} exit ${run.code} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (run.code === 0) continue;
    if (run.timedOut) {
      console.log(`${id}: ${SCENARIO_TIMEOUT} after ${SCENARIO_TIMEOUT_MS / 1000} s`);
      return 1;
    }
    const lines = verdictLines(run.output);
    console.log(`${id}: exit ${run.code}${lines.length ? `\n${lines.join('\n')}` : `\n${run.output.split('\n').slice(-10).join('\n')}`}`);
    return 1;
  }
  console.log(`survived ${entry.scenarios.join(', ')}`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main();
}
