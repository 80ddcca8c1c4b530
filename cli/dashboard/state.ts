/**
 * The dashboard's state, built only from run events by a pure reducer, so what
 * the screen shows can be tested without a terminal.
 */
import type { RunEventName, RunEvents } from '../core/events.ts';
import type { ExpectationResult, RunStatus } from '../core/journal.ts';
import { requiredCount, type RequiredOutcomes } from '../core/required-outcomes.ts';

/** How many recent values a sparkline keeps. */
export const HISTORY = 40;

export interface StepView {
  name: string;
  kind: 'load' | 'fault' | 'action';
  state: 'pending' | 'running' | 'done' | 'failed';
  description?: string;
  /** Planned start on the run clock, when the plan is known. */
  atMs?: number;
}

export interface LoadView {
  step: string;
  lastRate: number;
  lastP95: number;
  /** Answers outside 2xx, the required ones included. */
  errors: number;
  /** Of those, the ones the scenario requires (L11's 503s while PostgreSQL is down). */
  required: number;
  requests: number;
  p95History: number[];
}

export interface ProbeView {
  name: string;
  last: { status: number | null; latencyMs: number; ok: boolean; value?: number; error?: string } | null;
  /** What the probe is judged by, in words ("always status 503"). */
  conditions: string[];
  samples: number;
  failures: number;
  /** Recent samples: true ok, false failed. */
  history: boolean[];
}

export interface ScenarioSummary {
  id: string;
  status: RunStatus;
  durationMs: number;
  reason?: string;
  /** The scenario's expectations as judged, kept so a run of several scenarios ends with all of them. */
  expectations: ExpectationResult[];
}

export interface DashboardState {
  scenarioId: string | null;
  title: string;
  timelineMs: number;
  /** Wall-clock ms when the timeline started; null before. */
  timelineStartedAt: number | null;
  phase: 'stack' | 'steady-before' | 'timeline' | 'after' | 'done';
  steps: StepView[];
  loads: Record<string, LoadView>;
  probes: Record<string, ProbeView>;
  expectations: ExpectationResult[];
  log: string[];
  /** Stack start-up lines (the stack comes up before the first scenario starts). */
  stack: string[];
  finished: ScenarioSummary[];
  probeConditions: Record<string, string[]>;
  requiredOutcomes: Record<string, RequiredOutcomes>;
}

export function initialState(): DashboardState {
  return {
    scenarioId: null,
    title: '',
    timelineMs: 0,
    timelineStartedAt: null,
    phase: 'stack',
    steps: [],
    loads: {},
    probes: {},
    expectations: [],
    log: [],
    stack: [],
    finished: [],
    probeConditions: {},
    requiredOutcomes: {},
  };
}

function pushBounded<T>(list: readonly T[], item: T, max: number): T[] {
  const next = [...list, item];
  return next.length > max ? next.slice(next.length - max) : next;
}

function setStep(steps: StepView[], name: string, kind: 'load' | 'fault' | 'action', patch: Partial<StepView>): StepView[] {
  const found = steps.some((s) => s.name === name);
  const list = found ? steps : [...steps, { name, kind, state: 'pending' as const }];
  return list.map((s) => (s.name === name ? { ...s, ...patch } : s));
}

export interface AnyEvent<K extends RunEventName = RunEventName> {
  name: K;
  payload: RunEvents[K];
}

/** Applies one event. `now` is the wall clock, used only to stamp the timeline start. */
export function reduce(state: DashboardState, event: AnyEvent, now: number): DashboardState {
  switch (event.name) {
    case 'run:start': {
      const e = event.payload as RunEvents['run:start'];
      const steps: StepView[] = (e.plan ?? []).map((p) => ({ name: p.step, kind: p.kind, state: 'pending', atMs: p.atMs }));
      return { ...initialState(), finished: state.finished, scenarioId: e.scenarioId, title: e.title, timelineMs: e.timelineMs, phase: 'steady-before', steps, probeConditions: e.probeConditions ?? {}, requiredOutcomes: e.requiredOutcomes ?? {} };
    }
    case 'stack:progress': {
      const e = event.payload as RunEvents['stack:progress'];
      return { ...state, stack: pushBounded(state.stack, e.line, 6), log: pushBounded(state.log, `stack: ${e.line}`, 6) };
    }
    case 'timeline:start':
      return { ...state, phase: 'timeline', timelineStartedAt: now };
    case 'step:start': {
      const e = event.payload as RunEvents['step:start'];
      return { ...state, steps: setStep(state.steps, e.step, e.kind, { state: 'running' }) };
    }
    case 'step:end': {
      const e = event.payload as RunEvents['step:end'];
      return { ...state, steps: setStep(state.steps, e.step, e.kind, { state: e.error ? 'failed' : 'done' }) };
    }
    case 'fault:injected': {
      const e = event.payload as RunEvents['fault:injected'];
      return { ...state, steps: setStep(state.steps, e.fault.step, 'fault', { state: 'running', description: e.fault.description }) };
    }
    case 'fault:reverted': {
      const e = event.payload as RunEvents['fault:reverted'];
      return { ...state, steps: setStep(state.steps, e.fault.step, 'fault', { state: 'done', description: e.fault.description }) };
    }
    case 'load:second': {
      const e = event.payload as RunEvents['load:second'];
      const prev = state.loads[e.step] ?? { step: e.step, lastRate: 0, lastP95: 0, errors: 0, required: 0, requests: 0, p95History: [] };
      const next: LoadView = {
        step: e.step,
        lastRate: e.second.requests,
        lastP95: e.second.p95Ms,
        errors: prev.errors + e.second.errors,
        required: prev.required + requiredCount(e.second.errorsBy, state.requiredOutcomes[e.step]),
        requests: prev.requests + e.second.requests,
        p95History: pushBounded(prev.p95History, e.second.p95Ms, HISTORY),
      };
      return { ...state, loads: { ...state.loads, [e.step]: next } };
    }
    case 'probe:sample': {
      const e = event.payload as RunEvents['probe:sample'];
      const prev = state.probes[e.probe] ?? { name: e.probe, last: null, samples: 0, failures: 0, history: [], conditions: state.probeConditions[e.probe] ?? [] };
      const s = e.sample;
      const next: ProbeView = {
        name: e.probe,
        conditions: prev.conditions,
        last: { status: s.status, latencyMs: s.latencyMs, ok: s.ok, ...(s.value !== undefined ? { value: s.value } : {}), ...(s.error ? { error: s.error } : {}) },
        samples: prev.samples + 1,
        failures: prev.failures + (s.ok ? 0 : 1),
        history: pushBounded(prev.history, s.ok, HISTORY),
      };
      return { ...state, probes: { ...state.probes, [e.probe]: next } };
    }
    case 'steady:checked': {
      const e = event.payload as RunEvents['steady:checked'];
      const line = `steady state ${e.phase}: ${e.result.description} — ${e.result.passed ? 'ok' : 'NOT MET'}`;
      return { ...state, phase: e.phase === 'after' ? 'after' : state.phase, log: pushBounded(state.log, line, 6) };
    }
    case 'expectation': {
      const e = event.payload as RunEvents['expectation'];
      return { ...state, expectations: [...state.expectations, e.result] };
    }
    case 'log': {
      const e = event.payload as RunEvents['log'];
      return { ...state, log: pushBounded(state.log, `${(e.tMs / 1000).toFixed(1)}s ${e.message}`, 6) };
    }
    case 'run:end': {
      const e = event.payload as RunEvents['run:end'];
      const summary: ScenarioSummary = { id: e.scenarioId, status: e.status, durationMs: e.durationMs, ...(e.reason ? { reason: e.reason } : {}), expectations: state.expectations };
      return { ...state, phase: 'done', finished: [...state.finished, summary] };
    }
  }
}
