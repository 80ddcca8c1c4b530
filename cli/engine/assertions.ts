/**
 * Evaluates a scenario's expectations against what a run recorded. Pure: the
 * input is the journal's measurements, the output a verdict with evidence.
 */
import { formatMs, toMs } from '../core/duration.ts';
import type { ExpectationResult, ExpectationSubject, FaultRecord, Journal, LatencySummary, ProbeSample } from '../core/journal.ts';
import type { Condition, Expectation, Window } from '../core/scenario-schema.ts';

/** What the evaluation reads from a journal. */
export type Measurements = Pick<Journal, 'loads' | 'faults' | 'probes' | 'timelineDurationMs' | 'finalSamples'> & Partial<Pick<Journal, 'actions'>>;

/** A slice of the run clock, [startMs, endMs]. */
export interface ResolvedWindow {
  startMs: number;
  endMs: number;
  label: string;
}

const PERCENTILE_FIELD: Record<number, keyof LatencySummary> = { 50: 'p50', 90: 'p90', 95: 'p95', 99: 'p99', 100: 'max' };

export function describeCondition(condition: Condition): string {
  const parts: string[] = [];
  if (condition.status !== undefined) parts.push(`status ${condition.status}`);
  if (condition.latencyBelow !== undefined) parts.push(`latency < ${formatMs(toMs(condition.latencyBelow))}`);
  if (condition.valueEquals !== undefined) parts.push(`value = ${condition.valueEquals}`);
  if (condition.valueAtMost !== undefined) parts.push(`value ≤ ${condition.valueAtMost}`);
  if (condition.valueAtLeast !== undefined) parts.push(`value ≥ ${condition.valueAtLeast}`);
  return parts.join(' and ');
}

/** Whether one probe sample satisfies a condition; the reason when it does not. */
export function checkCondition(sample: ProbeSample, condition: Condition): { ok: boolean; why: string } {
  if (condition.status !== undefined && sample.status !== condition.status) {
    const got = sample.status === null ? (sample.error ?? 'no response') : `status ${sample.status}`;
    return { ok: false, why: `${got}, wanted status ${condition.status}` };
  }
  if (condition.latencyBelow !== undefined) {
    const limit = toMs(condition.latencyBelow);
    if (!(sample.latencyMs < limit)) return { ok: false, why: `took ${formatMs(sample.latencyMs)}, limit ${formatMs(limit)}` };
  }
  const wantsValue = condition.valueEquals !== undefined || condition.valueAtMost !== undefined || condition.valueAtLeast !== undefined;
  if (wantsValue) {
    const value = sample.value;
    if (value === undefined) return { ok: false, why: sample.error ?? 'no value read' };
    if (condition.valueEquals !== undefined && value !== condition.valueEquals) return { ok: false, why: `value ${value}, wanted ${condition.valueEquals}` };
    if (condition.valueAtMost !== undefined && value > condition.valueAtMost) return { ok: false, why: `value ${value}, wanted ≤ ${condition.valueAtMost}` };
    if (condition.valueAtLeast !== undefined && value < condition.valueAtLeast) return { ok: false, why: `value ${value}, wanted ≥ ${condition.valueAtLeast}` };
  }
  return { ok: true, why: '' };
}

/** Turns a window spec into clock times, or explains why it cannot (the fault never happened). */
export function resolveWindow(window: Window, faults: readonly FaultRecord[], timelineMs: number): ResolvedWindow | { error: string } {
  const skip = window.skipFirst ? toMs(window.skipFirst) : 0;
  const stepName = window.during ?? window.after;
  if (stepName === undefined) return { startMs: skip, endMs: timelineMs, label: 'whole timeline' };
  const fault = faults.find((f) => f.step === stepName);
  if (!fault || fault.injectedMs === null) return { error: `fault "${stepName}" was never in place` };
  if (window.during !== undefined) {
    const endMs = fault.revertStartedMs ?? timelineMs;
    return { startMs: fault.injectedMs + skip, endMs, label: `during ${stepName}` };
  }
  if (fault.revertedMs === null) return { error: `fault "${stepName}" was never reverted` };
  const endMs = window.within ? fault.revertedMs + toMs(window.within) : timelineMs;
  const label = window.within ? `within ${formatMs(toMs(window.within))} after ${stepName}` : `after ${stepName}`;
  return { startMs: fault.revertedMs + skip, endMs, label };
}

/** Samples that started and finished inside the window. */
export function samplesIn(samples: readonly ProbeSample[], window: ResolvedWindow): ProbeSample[] {
  return samples.filter((s) => s.tMs >= window.startMs && s.tMs + s.latencyMs <= window.endMs);
}

function result(expectation: Expectation, id: string, assertion: string, passed: boolean, observed: string, evidence: Record<string, unknown>): ExpectationResult {
  return { id, kind: expectation.kind, clause: expectation.clause, text: expectation.text, assertion, passed, observed, evidence, subject: subjectOf(expectation) };
}

/** What the expectation looked at, kept in the journal so reports can plot it. */
function subjectOf(expectation: Expectation): ExpectationSubject {
  switch (expectation.kind) {
    case 'latency':
    case 'errors':
      return { load: expectation.load };
    case 'probe':
      return { probe: expectation.probe, condition: expectation.condition, window: expectation.window, mode: expectation.mode };
    case 'final':
      return { probe: expectation.probe, condition: expectation.condition };
    case 'action':
      return { step: expectation.step };
  }
}

export function evaluateExpectation(expectation: Expectation, id: string, m: Measurements): ExpectationResult {
  switch (expectation.kind) {
    case 'latency': {
      const field = PERCENTILE_FIELD[expectation.percentile] as keyof LatencySummary;
      const limit = toMs(expectation.below);
      const label = expectation.percentile === 100 ? 'max' : `p${expectation.percentile}`;
      const assertion = `${label} latency of ${expectation.load} < ${formatMs(limit)}`;
      const load = m.loads.find((l) => l.step === expectation.load);
      if (!load || load.correctedLatency.count === 0) {
        return result(expectation, id, assertion, false, `no responses recorded for ${expectation.load}`, { requests: load?.requests ?? 0 });
      }
      const value = load.correctedLatency[field];
      return result(expectation, id, assertion, value < limit, `${label} = ${formatMs(value)} over ${load.correctedLatency.count} responses (raw ${label} ${formatMs(load.latency[field])})`, {
        value,
        raw: load.latency[field],
        limitMs: limit,
        responses: load.correctedLatency.count,
      });
    }
    case 'errors': {
      const assertion = `failed requests of ${expectation.load} ≤ ${expectation.max}`;
      const load = m.loads.find((l) => l.step === expectation.load);
      if (!load || load.requests === 0) return result(expectation, id, assertion, false, `no requests recorded for ${expectation.load}`, {});
      const breakdown = Object.entries(load.statusCounts)
        .map(([code, n]) => `${code}×${n}`)
        .join(', ');
      return result(expectation, id, assertion, load.errors <= expectation.max, `${load.errors} of ${load.requests} failed${breakdown ? ` (${breakdown})` : ''}`, {
        errors: load.errors,
        requests: load.requests,
        statusCounts: load.statusCounts,
      });
    }
    case 'probe':
      return evaluateProbe(expectation, id, m);
    case 'final': {
      const assertion = `${expectation.probe} after the run: ${describeCondition(expectation.condition)}`;
      const sample = m.finalSamples[expectation.probe];
      if (!sample) return result(expectation, id, assertion, false, 'no final sample was taken', {});
      const check = checkCondition(sample, expectation.condition);
      const seen = sample.value !== undefined ? `value ${sample.value}` : sample.status !== null ? `status ${sample.status}` : (sample.error ?? 'no answer');
      return result(expectation, id, assertion, check.ok, check.ok ? seen : check.why, { sample });
    }
    case 'action':
      return evaluateAction(expectation, id, m);
  }
}

function evaluateAction(expectation: Extract<Expectation, { kind: 'action' }>, id: string, m: Measurements): ExpectationResult {
  const limitMs = expectation.durationBelow === undefined ? null : toMs(expectation.durationBelow);
  const assertion = `${expectation.step} ends ${expectation.outcome.join(' or ')}${limitMs === null ? '' : ` in < ${formatMs(limitMs)}`}`;
  const action = m.actions?.find((a) => a.step === expectation.step);
  if (!action) return result(expectation, id, assertion, false, `action ${expectation.step} never ran`, {});
  const tookMs = action.endedMs === null ? null : action.endedMs - action.startedMs;
  const evidence = { outcome: action.outcome, durationMs: tookMs, ...(action.detail ? { detail: action.detail } : {}), ...(action.error ? { error: action.error } : {}) };
  const took = tookMs === null ? 'did not finish' : `took ${formatMs(tookMs)}`;
  const observed = `${action.outcome ?? 'no outcome'}, ${took}${action.detail ? ` (${action.detail})` : ''}${action.error ? `: ${action.error}` : ''}`;
  const outcomeOk = action.outcome !== null && expectation.outcome.includes(action.outcome);
  const durationOk = limitMs === null || (tookMs !== null && tookMs < limitMs);
  return result(expectation, id, assertion, outcomeOk && durationOk, observed, evidence);
}

function evaluateProbe(expectation: Extract<Expectation, { kind: 'probe' }>, id: string, m: Measurements): ExpectationResult {
  const conditionText = describeCondition(expectation.condition);
  const window = resolveWindow(expectation.window, m.faults, m.timelineDurationMs);
  const windowText = 'error' in window ? 'in its window' : window.label;
  const assertion = `${expectation.probe}: ${expectation.mode} ${conditionText} ${windowText}`;
  if ('error' in window) return result(expectation, id, assertion, false, window.error, {});
  const probe = m.probes.find((p) => p.name === expectation.probe);
  const samples = samplesIn(probe?.samples ?? [], window);
  const evidence: Record<string, unknown> = { windowStartMs: window.startMs, windowEndMs: window.endMs, samples: samples.length };
  if (samples.length < expectation.minSamples) {
    return result(expectation, id, assertion, false, `only ${samples.length} sample(s) in the window, need ${expectation.minSamples}`, evidence);
  }
  const checks = samples.map((s) => ({ sample: s, ...checkCondition(s, expectation.condition) }));
  const matching = checks.filter((c) => c.ok);
  const maxLatency = Math.max(...samples.map((s) => s.latencyMs));
  evidence.matching = matching.length;
  evidence.maxLatencyMs = maxLatency;
  const tally = `${matching.length}/${samples.length} samples matched, slowest ${formatMs(maxLatency)}`;
  switch (expectation.mode) {
    case 'always': {
      const first = checks.find((c) => !c.ok);
      if (!first) return result(expectation, id, assertion, true, tally, evidence);
      return result(expectation, id, assertion, false, `${tally}; first miss at ${formatMs(first.sample.tMs)}: ${first.why}`, evidence);
    }
    case 'eventually': {
      const first = matching[0];
      if (!first) return result(expectation, id, assertion, false, `${tally}; never matched`, evidence);
      evidence.firstMatchMs = first.sample.tMs;
      return result(expectation, id, assertion, true, `${tally}; first match ${formatMs(first.sample.tMs - window.startMs)} into the window`, evidence);
    }
    case 'never': {
      const first = matching[0];
      if (!first) return result(expectation, id, assertion, true, tally, evidence);
      return result(expectation, id, assertion, false, `${tally}; matched at ${formatMs(first.sample.tMs)}`, evidence);
    }
  }
}
