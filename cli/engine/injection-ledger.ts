/**
 * The injection ledger: every fault is written to <state>/injections.json
 * before it is applied and removed only after it has been reverted. Whatever
 * kills a run, the ledger says what to undo; `chaosctl recover` reads it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChaosError } from '../core/errors.ts';
import type { FaultSpec } from '../drivers/registry.ts';
import type { StackMode } from '../stack/types.ts';

export interface LedgerEntry {
  /** Unique per injection: runId + step. */
  key: string;
  runId: string;
  scenarioId: string;
  step: string;
  spec: FaultSpec;
  description: string;
  /** The chaosctl process that applied it; a dead pid means nobody will revert it but recover. */
  pid: number;
  /** applying: written, maybe half applied; applied: in place. Both need a revert. */
  state: 'applying' | 'applied';
  since: string;
  /** The stack mode it was applied on, so a run in the other mode leaves it alone; absent means local. */
  stackMode?: StackMode;
}

interface LedgerFile {
  version: 1;
  entries: LedgerEntry[];
}

export class InjectionLedger {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, 'injections.json');
  }

  read(): LedgerEntry[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new ChaosError('CHAOSCTL_E_STATE', { file: this.file, detail: (error as Error).message }, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as LedgerFile;
      if (parsed.version !== 1 || !Array.isArray(parsed.entries)) throw new Error('unknown format');
      return parsed.entries;
    } catch (error) {
      throw new ChaosError('CHAOSCTL_E_STATE', { file: this.file, detail: (error as Error).message }, { cause: error });
    }
  }

  /** Records an injection before it is applied (state "applying"). */
  add(entry: LedgerEntry): void {
    this.write([...this.read().filter((e) => e.key !== entry.key), entry]);
  }

  markApplied(key: string): void {
    this.write(this.read().map((e) => (e.key === key ? { ...e, state: 'applied' as const } : e)));
  }

  /** Forgets an injection once its revert has succeeded. */
  remove(key: string): void {
    this.write(this.read().filter((e) => e.key !== key));
  }

  /**
   * Forgets injections that no longer exist because the stack they were applied to is gone
   * (taken down, or never there): a fault lives in a service of its stack and ends with it.
   */
  settle(keys: readonly string[]): void {
    if (keys.length === 0) return;
    const gone = new Set(keys);
    this.write(this.read().filter((e) => !gone.has(e.key)));
  }

  private write(entries: LedgerEntry[]): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, entries } satisfies LedgerFile, null, 2)}\n`);
    // rename is atomic: a crash leaves the old ledger or the new one, never half of one.
    renameSync(tmp, this.file);
  }
}

/** Whether a process is alive (signal 0 probes without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
