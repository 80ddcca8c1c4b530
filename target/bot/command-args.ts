/**
 * Arguments of the money commands, read strictly: what reaches the payment
 * provider or the ledger is exactly what the user typed, never a number that
 * JavaScript's Number() coaxed out of hex, exponents or trailing junk, and
 * never an amount that rounds to nothing.
 */
/** The largest top-up, in major units. */
export const MAX_TOPUP_MAJOR = 1_000_000;

/** Digits, then at most two decimals after a point or a comma ("500", "99.90", "12,5"). */
const AMOUNT_PATTERN = /^(\d{1,7})(?:[.,](\d{1,2}))?$/;

/** `/topup` argument → amount in minor units (kopecks), or null when it is not a plain positive amount of at most MAX_TOPUP_MAJOR. */
export function parseTopupAmount(text: string): number | null {
  const match = AMOUNT_PATTERN.exec(text.trim());
  if (!match) return null;
  const minor = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (minor <= 0 || minor > MAX_TOPUP_MAJOR * 100) return null;
  return minor;
}

/**
 * The plan called `name`, looked up among the plans' own keys only: a plain
 * object would also answer "__proto__", "constructor" or "toString".
 */
export function findPlan<P>(plans: Readonly<Record<string, P>>, name: string): P | null {
  return Object.hasOwn(plans, name) ? (plans[name] ?? null) : null;
}
