/**
 * Conversions between PostgreSQL values and the plain numbers and strings the
 * repositories expose. node-postgres returns bigint and numeric as strings so
 * as not to lose precision; ids, amounts and counts here fit in a double, and
 * a value that does not is an error, not a silent rounding.
 */

/** A bigint/integer/numeric column as a JavaScript integer; throws if it is not a safe integer. */
export function toSafeInteger(value: unknown, column: string): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' || typeof value === 'bigint' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) throw new RangeError(`column ${column}: ${String(value)} is not a safe integer`);
  return number;
}

/** A numeric column (possibly fractional) as a number. */
export function toNumber(value: unknown, column: string): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isFinite(number)) throw new RangeError(`column ${column}: ${String(value)} is not a finite number`);
  return number;
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Checks a calendar day written YYYY-MM-DD (a real date: no 2024-02-30). */
export function assertIsoDay(day: string): void {
  const match = ISO_DAY.exec(day);
  const valid = match !== null && new Date(`${day}T00:00:00Z`).toISOString().startsWith(day);
  if (!valid) throw new RangeError(`"${day}" is not a calendar day written YYYY-MM-DD`);
}

/** The start of the minute `instant` falls in (UTC arithmetic; every zone in use has whole-minute offsets). */
export function wholeMinute(instant: Date): Date {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('invalid date');
  return new Date(Math.floor(ms / 60_000) * 60_000);
}

/** The SQLSTATE of a PostgreSQL error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The constraint a PostgreSQL error names, if any. */
export function violatedConstraint(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('constraint' in error)) return undefined;
  return typeof error.constraint === 'string' ? error.constraint : undefined;
}
