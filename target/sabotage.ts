/**
 * Sabotage switches: test-only ways to break the target on purpose, so that the
 * harness can prove its scenarios catch the bug each one plants. They are read
 * from CHAOSCTL_SABOTAGE (comma-separated) and refused in production.
 */
import { ChaosError } from '../cli/engine/errors.ts';

/**
 * Every switch the target knows, by name, with one sentence saying what is
 * broken while it is on. Scenarios and `chaosctl` validate against this list.
 */
export const SABOTAGE_SWITCHES = {
  'health-db-check': 'GET /health reports the database as up without asking it.',
} as const satisfies Record<string, string>;

export type SabotageName = keyof typeof SABOTAGE_SWITCHES;

/** The switches that are on. */
export type Sabotage = ReadonlySet<SabotageName>;

/** No sabotage: the target behaves as it would in production. */
export const NO_SABOTAGE: Sabotage = new Set<SabotageName>();

export function isSabotageName(name: string): name is SabotageName {
  return Object.hasOwn(SABOTAGE_SWITCHES, name);
}

/**
 * Reads CHAOSCTL_SABOTAGE. Throws CHAOSCTL_E_SABOTAGE_UNKNOWN for a name not in
 * the catalogue and CHAOSCTL_E_USAGE when any switch is on with NODE_ENV=production.
 */
export function parseSabotage(env: Readonly<Record<string, string | undefined>> = process.env): Sabotage {
  const names = [
    ...new Set(
      (env.CHAOSCTL_SABOTAGE ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ];
  if (names.length === 0) return NO_SABOTAGE;

  const unknown = names.filter((name) => !isSabotageName(name));
  if (unknown.length > 0) {
    throw new ChaosError(
      'CHAOSCTL_E_SABOTAGE_UNKNOWN',
      { name: unknown.join('", "'), known: Object.keys(SABOTAGE_SWITCHES).join(', ') },
      { details: Object.entries(SABOTAGE_SWITCHES).map(([name, description]) => `${name}: ${description}`) },
    );
  }
  if (env.NODE_ENV === 'production') {
    throw new ChaosError('CHAOSCTL_E_USAGE', {
      detail: `sabotage switches are test-only and refused with NODE_ENV=production (CHAOSCTL_SABOTAGE=${names.join(',')})`,
    });
  }
  return new Set(names.filter(isSabotageName));
}
