/**
 * Which answers of a load step the scenario requires rather than suffers (L11 demands 503
 * from /health while PostgreSQL is down and loads /health through the outage): the record of
 * them, and how live views (progress lines, dashboard, the runner's log) count them apart,
 * "400 × 503 required" instead of "400 failed". cli/engine/required-outcomes.ts finds them
 * in the scenario before anything runs; reports/outcomes.ts makes the same split afterwards
 * from the journal, with the fault's real times.
 */
export interface RequiredOutcomes {
  /** Status codes as the load's outcome keys ("503"). */
  statuses: string[];
  /** The expectations that require them. */
  because: string[];
}

/** Slack around a fault's window within which a load still counts as running during it. */
const WINDOW_SLACK_MS = 1000;

/** What both splits read of a probe expectation: the scenario's own, or the subject a journal recorded. */
export interface RequirementSource {
  probe?: string;
  mode?: 'always' | 'eventually' | 'never';
  condition?: { status?: number };
  window?: { during?: string };
}

/**
 * The non-2xx status an expectation requires of a probe while a fault is in place (L11's
 * "always 503 during db-down"), with the probe and the fault step; undefined for any other.
 */
export function statusRequiredDuring(e: RequirementSource): { probe: string; status: number; during: string } | undefined {
  const status = e.condition?.status;
  const during = e.window?.during;
  if (e.probe === undefined || status === undefined || during === undefined || e.mode === 'never') return undefined;
  if (status >= 200 && status < 300) return undefined;
  return { probe: e.probe, status, during };
}

/** Whether a load (planned or run) lies inside a fault's window, give or take the slack. */
export function loadInsideFault(loadStartMs: number, loadEndMs: number, faultStartMs: number, faultEndMs: number): boolean {
  return loadStartMs >= faultStartMs - WINDOW_SLACK_MS && loadEndMs <= faultEndMs + WINDOW_SLACK_MS;
}

/** How many of `errorsBy` (outcome key → count) a step's required statuses account for. */
export function requiredCount(errorsBy: Readonly<Record<string, number>> | undefined, required: RequiredOutcomes | undefined): number {
  if (!errorsBy || !required) return 0;
  return required.statuses.reduce((sum, status) => sum + (errorsBy[status] ?? 0), 0);
}

/** "400 × 503 required, 0 failed" or "3 failed": a load's non-2xx answers, the required ones apart. */
export function describeFailures(errors: number, errorsBy: Readonly<Record<string, number>> | undefined, required: RequiredOutcomes | undefined): string {
  const expected = requiredCount(errorsBy, required);
  if (expected === 0 || !required) return `${errors} failed`;
  const parts = required.statuses.filter((s) => (errorsBy?.[s] ?? 0) > 0).map((s) => `${errorsBy?.[s] ?? 0} × ${s} required`);
  return `${parts.join(', ')}, ${errors - expected} failed`;
}
