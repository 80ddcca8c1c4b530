/** A duration as written in scenario files: a number followed by ms, s, m or h ("250ms", "1.5s", "5m"). */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Converts a scenario duration string to milliseconds. Throws on a string the schema would reject. */
export function toMs(duration: string): number {
  const match = DURATION_PATTERN.exec(duration);
  if (!match) throw new Error(`not a duration: "${duration}" (write e.g. 250ms, 5s, 2m)`);
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] as string] as number));
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
