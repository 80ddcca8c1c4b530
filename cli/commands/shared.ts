/** Pieces several commands share: version, stderr writer, stack construction, option parsing. */
import { ChaosError } from '../engine/errors.ts';
import { InjectionLedger } from '../engine/injection-ledger.ts';
import { stateDir } from '../paths.ts';
import { createStackProvider } from '../stack/index.ts';
import type { StackMode, StackProvider } from '../stack/types.ts';
import { SABOTAGE_SWITCHES } from '../../target/sabotage.ts';

export { VERSION } from '../version.ts';

/** Human output goes to stderr, so stdout stays clean for --json. */
export function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function parseStackMode(value: string): StackMode {
  if (value === 'local' || value === 'docker') return value;
  throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `--stack must be local or docker, not "${value}"` });
}

export function openStack(mode: StackMode): { stack: StackProvider; ledger: InjectionLedger; dir: string } {
  const dir = stateDir();
  return { stack: createStackProvider(mode), ledger: new InjectionLedger(dir), dir };
}

/** Comma-separated sabotage switch names, each checked against the target's catalogue. */
export function parseSabotage(value: string | undefined): string[] {
  if (!value) return [];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  const known = Object.keys(SABOTAGE_SWITCHES);
  for (const name of names) {
    if (!known.includes(name)) throw new ChaosError('CHAOSCTL_E_SABOTAGE_UNKNOWN', { name, known: known.join(', ') });
  }
  return names;
}
