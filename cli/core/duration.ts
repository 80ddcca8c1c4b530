/** A duration as written in scenario files: a number followed by ms, s, m or h ("250ms", "1.5s", "5m"). */
import { ChaosError } from './errors.ts';

export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/**
 * The longest duration a scenario may write. A day is far past any catalogue scenario
 * (the longest full profile runs minutes) and keeps every single wait below the 2^31 ms
 * where Node's timers overflow; the clock chunks its waits anyway (a timeline may add
 * several such steps end to end).
 */
export const MAX_DURATION = '24h';
export const MAX_DURATION_MS = 24 * 3_600_000;

/**
 * The shortest probe interval. Below it a probe is a load of its own, and its samples
 * queue behind each other instead of measuring the target.
 */
export const MIN_PROBE_INTERVAL = '50ms';
export const MIN_PROBE_INTERVAL_MS = 50;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Converts a scenario duration string to milliseconds. Throws on a string the schema would reject. */
export function toMs(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) throw new ChaosError('CHAOSCTL_E_USAGE', { detail: `not a duration: "${duration}" (write e.g. 250ms, 5s, 2m)` });
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
}

/** Whether a string is a duration within the bound (a malformed one is left to the pattern's own message). */
export function withinMaxDuration(duration: string): boolean {
  return !DURATION_PATTERN.test(duration) || toMs(duration) <= MAX_DURATION_MS;
}

/** Whether a probe interval is long enough (a malformed one is left to the pattern's own message). */
export function atLeastProbeInterval(duration: string): boolean {
  return !DURATION_PATTERN.test(duration) || toMs(duration) >= MIN_PROBE_INTERVAL_MS;
}

/** Renders milliseconds for people: 850 ms, 12.3 s, 4 m 05 s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (Math.abs(ms) < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  if (Math.abs(ms) < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} m ${String(seconds).padStart(2, '0')} s`;
}
