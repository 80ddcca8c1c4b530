/**
 * The census: every mutant Stryker's instrumenter makes in the mutated files,
 * without running anything. The sample is drawn from it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Instrumenter } from '@stryker-mutator/instrumenter';
import type { Logger } from '@stryker-mutator/api/logging';
import { mutantKey, type CensusMutant } from './mutant.ts';
import { mutatedFiles, type MutationModule } from './modules.ts';

/** The instrumenter wants a logger; the census has nothing to say. */
const quietLogger: Logger = {
  isTraceEnabled: () => false,
  isDebugEnabled: () => false,
  isInfoEnabled: () => false,
  isWarnEnabled: () => false,
  isErrorEnabled: () => false,
  isFatalEnabled: () => false,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
};

export function fileHash(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}

/** Lists the mutants of every file in `modules`, in file order. */
export async function takeCensus(root: string, modules: readonly MutationModule[]): Promise<CensusMutant[]> {
  const instrumenter = new Instrumenter(quietLogger);
  const out: CensusMutant[] = [];
  for (const entry of mutatedFiles(modules)) {
    const name = path.join(root, entry.file);
    const content = await readFile(name, 'utf8');
    const mutate = entry.lines ? entry.lines.map(([from, to]) => ({ start: { line: from - 1, column: 0 }, end: { line: to - 1, column: Number.MAX_SAFE_INTEGER } })) : true;
    const result = await instrumenter.instrument([{ name, mutate, content }], { plugins: null, excludedMutations: [], ignorers: [] });
    const hash = fileHash(content);
    for (const m of result.mutants) {
      const base = { file: entry.file, mutatorName: m.mutatorName, replacement: m.replacement, location: m.location };
      out.push({ ...base, key: mutantKey(base), module: entry.module, fileHash: hash });
    }
  }
  return out;
}
