/**
 * Undoes what runs left behind: reverts every injection in the ledger (newest
 * first), then, as a backstop, clears every toxic, enables every proxy and brings
 * every service of the stack back up. With no stack running there is nothing to
 * revert: a fault lives in a service of its stack and went with it, so its ledger
 * entry is settled (forgotten, and said so) instead of blocking every later run.
 */
import type { FaultContext } from '../drivers/faults/types.ts';
import { BUILTIN_REGISTRIES, faultDriverFor, FAULT_DRIVERS } from '../drivers/registry.ts';
import type { StackProvider } from '../stack/types.ts';
import { SERVICE_NAMES } from '../stack/types.ts';
import { isAlive, type InjectionLedger, type LedgerEntry } from './injection-ledger.ts';

export interface RecoverReport {
  reverted: LedgerEntry[];
  /** Entries forgotten because no stack is running: their faults went with the stack. */
  settled: LedgerEntry[];
  failed: Array<{ entry: LedgerEntry; error: string }>;
  /** Backstop steps taken and their outcome. */
  backstop: string[];
  stackRunning: boolean;
}

export interface RecoverOptions {
  /** Only entries whose owning process is gone (what a new run does before it starts). */
  onlyOrphans?: boolean;
  /** Also reset Toxiproxy and bring every service back (what `chaosctl recover` does). */
  backstop?: boolean;
  progress?: (line: string) => void;
}

export async function recover(stack: StackProvider, ledger: InjectionLedger, options: RecoverOptions = {}): Promise<RecoverReport> {
  const progress = options.progress ?? (() => {});
  // A fault applied on the other mode's stack is that stack's to revert (both share one state folder).
  const entries = ledger
    .read()
    .filter((e) => (e.stackMode ?? 'local') === stack.mode)
    .filter((e) => !options.onlyOrphans || (e.pid !== process.pid && !isAlive(e.pid)));
  const report: RecoverReport = { reverted: [], settled: [], failed: [], backstop: [], stackRunning: false };
  const endpoints = await stack.endpoints();
  if (!endpoints) {
    ledger.settle(entries.map((e) => e.key));
    for (const entry of entries) {
      report.settled.push(entry);
      progress(`settled ${entry.scenarioId}/${entry.step} (${entry.description}): no stack is running, so the fault went with the stack it was on`);
    }
    return report;
  }
  report.stackRunning = true;
  const ctx: FaultContext = { stack, endpoints };

  // Services first (a stopped postgres before a disabled proxy), newest injection first within that order.
  const ordered = [...entries].reverse().sort((a, b) => Number(b.spec.driver === 'service') - Number(a.spec.driver === 'service'));
  for (const entry of ordered) {
    try {
      await faultDriverFor(BUILTIN_REGISTRIES, entry.spec).revert(entry.step, entry.spec, ctx);
      ledger.remove(entry.key);
      report.reverted.push(entry);
      progress(`reverted ${entry.scenarioId}/${entry.step}: ${entry.description}`);
    } catch (error) {
      report.failed.push({ entry, error: (error as Error).message });
      progress(`could not revert ${entry.scenarioId}/${entry.step}: ${(error as Error).message}`);
    }
  }

  if (options.backstop) {
    for (const name of SERVICE_NAMES) {
      try {
        await stack.service(name).ensureRunning();
        report.backstop.push(`${name}: running`);
      } catch (error) {
        report.backstop.push(`${name}: could not be brought back: ${(error as Error).message}`);
      }
    }
    for (const [kind, driver] of Object.entries(FAULT_DRIVERS)) {
      if (!driver.resetAll) continue;
      try {
        await driver.resetAll(ctx);
        report.backstop.push(`${kind}: reset (no toxics, every proxy enabled)`);
      } catch (error) {
        report.backstop.push(`${kind}: reset failed: ${(error as Error).message}`);
      }
    }
  }
  return report;
}
