/**
 * The error catalogue: every error chaosctl reports has a stable code, a message
 * template and the exit-code class it maps to. docs/errors.md documents the same
 * list; test/engine/errors.test.ts keeps the two in sync.
 */

/** Exit codes of the chaosctl command. */
export const EXIT = {
  ok: 0,
  verdictFailed: 1,
  badInput: 2,
  stackFailure: 3,
  sigint: 130,
  sigterm: 143,
} as const;

export type ExitClass = 'badInput' | 'stackFailure' | 'interrupted';

interface CatalogueEntry {
  exit: ExitClass;
  message: string;
}

export const ERRORS = {
  CHAOSCTL_E_USAGE: { exit: 'badInput', message: '{detail}' },
  CHAOSCTL_E_SCENARIO_NOT_FOUND: { exit: 'badInput', message: 'no scenario "{id}" (looked in {dir}); `chaosctl list` shows them' },
  CHAOSCTL_E_SCENARIO_INVALID: { exit: 'badInput', message: '{file}: {count} problem(s) in the scenario' },
  CHAOSCTL_E_SCENARIO_PARSE: { exit: 'badInput', message: '{file}: not valid YAML: {detail}' },
  CHAOSCTL_E_PROVE_NO_SWITCHES: {
    exit: 'badInput',
    message: '{ids}: no sabotage switch listed under "catches", so `prove` has nothing to show; list what it catches, or use `chaosctl run`',
  },
  CHAOSCTL_E_BASELINE: { exit: 'badInput', message: '--baseline {dir} is not a usable run folder: {detail}' },
  CHAOSCTL_E_SABOTAGE_UNKNOWN: { exit: 'badInput', message: 'unknown sabotage switch "{name}"; known: {known}' },
  CHAOSCTL_E_TOOL_MISSING: { exit: 'stackFailure', message: '{tool} is not available: {detail}' },
  CHAOSCTL_E_STACK_UP: { exit: 'stackFailure', message: 'could not start {service}: {detail}' },
  CHAOSCTL_E_STACK_DOWN: { exit: 'stackFailure', message: 'no stack is running; `chaosctl up` starts one' },
  CHAOSCTL_E_STACK_UNSUPPORTED: { exit: 'stackFailure', message: '{operation} is not possible on this stack: {detail}' },
  CHAOSCTL_E_DRIVER: { exit: 'stackFailure', message: '{driver} driver failed to {operation} {target}: {detail}' },
  CHAOSCTL_E_REVERT: { exit: 'stackFailure', message: 'could not revert {count} fault(s); run `chaosctl recover`: {detail}' },
  CHAOSCTL_E_OUTPUT: { exit: 'stackFailure', message: 'could not write the reports to {dir}: {detail}' },
  CHAOSCTL_E_STATE: { exit: 'stackFailure', message: 'state file {file} is unreadable: {detail}' },
  CHAOSCTL_E_BUSY: { exit: 'stackFailure', message: 'another chaosctl run (pid {pid}) is using {dir}; wait for it or stop it' },
  CHAOSCTL_E_RUN_ACTIVE: {
    exit: 'stackFailure',
    message: '`chaosctl {command}` refused: another chaosctl process (pid {pid}) {outcome} the run lock of {dir}, so the stack is in use; let it end, or add --wait [SECONDS]',
  },
  CHAOSCTL_E_STACK_STOP: { exit: 'stackFailure', message: 'could not take the whole stack down: {detail}' },
  CHAOSCTL_E_STACK_QUERY: { exit: 'stackFailure', message: 'could not read the state of the stack: {detail}' },
  CHAOSCTL_E_INTERRUPTED: { exit: 'interrupted', message: 'interrupted by {signal}; faults reverted' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof ERRORS;

/** An error from the catalogue. Library code throws these; only the command layer exits. */
export class ChaosError extends Error {
  readonly code: ErrorCode;
  readonly exitClass: ExitClass;
  readonly params: Record<string, string | number>;
  /** Extra lines shown under the message (e.g. every validation problem). */
  readonly details: string[];

  constructor(code: ErrorCode, params: Record<string, string | number> = {}, options: { cause?: unknown; details?: string[] } = {}) {
    super(formatMessage(code, params), { cause: options.cause });
    this.name = 'ChaosError';
    this.code = code;
    this.exitClass = ERRORS[code].exit;
    this.params = params;
    this.details = options.details ?? [];
  }
}

export function formatMessage(code: ErrorCode, params: Record<string, string | number>): string {
  return ERRORS[code].message.replace(/\{(\w+)\}/g, (_m, key: string) => (key in params ? String(params[key]) : `{${key}}`));
}

/** The process exit code for an error: catalogue errors by class, anything else is a harness failure. */
export function exitCodeFor(error: unknown, signal?: 'SIGINT' | 'SIGTERM'): number {
  if (error instanceof ChaosError) {
    if (error.exitClass === 'badInput') return EXIT.badInput;
    if (error.exitClass === 'interrupted') return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
  }
  return EXIT.stackFailure;
}
