/** Pieces several commands share: version, stderr writer, stack construction, option parsing. */
import { ChaosError, type ErrorCode } from '../core/errors.ts';
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
  return { stack: catalogueStack(createStackProvider(mode)), ledger: new InjectionLedger(dir), dir };
}

/** A catalogue error as is; anything else (a process that would not stop, no free port, …) as `code` with its message. */
function catalogued(error: unknown, code: ErrorCode, params: Record<string, string>): ChaosError {
  if (error instanceof ChaosError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new ChaosError(code, { ...params, detail }, { cause: error });
}

/**
 * The stack as commands see it: whatever its start, stop and state reads throw reaches the
 * user as a catalogue error with a code and an exit class, never as "unexpected failure".
 * Service controls pass through untouched (the runner judges fault-driver failures itself).
 */
export function catalogueStack(stack: StackProvider): StackProvider {
  return {
    mode: stack.mode,
    ...(stack.maxInstances === undefined ? {} : { maxInstances: stack.maxInstances }),
    up: (config, progress) => stack.up(config, progress).catch((error: unknown) => Promise.reject(catalogued(error, 'CHAOSCTL_E_STACK_UP', { service: 'the stack' }))),
    down: (progress) => stack.down(progress).catch((error: unknown) => Promise.reject(catalogued(error, 'CHAOSCTL_E_STACK_STOP', {}))),
    status: () => stack.status().catch((error: unknown) => Promise.reject(catalogued(error, 'CHAOSCTL_E_STACK_QUERY', {}))),
    endpoints: () => stack.endpoints().catch((error: unknown) => Promise.reject(catalogued(error, 'CHAOSCTL_E_STACK_QUERY', {}))),
    service: (name, instance) => stack.service(name, instance),
    ...(stack.logTails ? { logTails: stack.logTails.bind(stack) } : {}),
  };
}

/** `--instances N`: how many target processes (1–4); undefined when the flag is absent. */
export function parseInstances(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 4) throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `--instances must be a whole number from 1 to 4, not "${value}"` });
  return n;
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
