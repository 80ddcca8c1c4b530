/**
 * The run's event bus. The engine emits typed events; the dashboard, progress
 * lines and reporters only listen. A listener that throws is reported once and
 * cannot break a run.
 */
import type { RequiredOutcomes } from './required-outcomes.ts';
import type { ExpectationResult, FaultRecord, JournalEvent, LoadSecond, ProbeSample, RunStatus, SteadyCheckResult } from './journal.ts';

export interface RunEvents {
  'run:start': {
    runId: string;
    scenarioId: string;
    title: string;
    timelineMs: number;
    /** The timeline as planned, so a view can show upcoming steps (optional: older emitters leave it out). */
    plan?: Array<{ step: string; kind: 'load' | 'fault' | 'action'; atMs: number; forMs: number | null }>;
    /** Per probe, the conditions expectations and steady-state checks judge it by, in words. */
    probeConditions?: Record<string, string[]>;
    /** Per load step, the non-2xx answers the scenario requires (L11's 503s while PostgreSQL is down). */
    requiredOutcomes?: Record<string, RequiredOutcomes>;
  };
  'stack:progress': { line: string };
  'steady:checked': { phase: 'before' | 'after'; result: SteadyCheckResult };
  'timeline:start': { t0: number };
  'step:start': { step: string; kind: 'load' | 'fault' | 'action'; tMs: number };
  'step:end': { step: string; kind: 'load' | 'fault' | 'action'; tMs: number; error?: string };
  'fault:injected': { fault: FaultRecord; tMs: number };
  'fault:reverted': { fault: FaultRecord; tMs: number };
  'load:second': { step: string; second: LoadSecond };
  'probe:sample': { probe: string; sample: ProbeSample };
  'expectation': { result: ExpectationResult };
  'log': JournalEvent;
  'run:end': { scenarioId: string; status: RunStatus; reason?: string; durationMs: number };
}

export type RunEventName = keyof RunEvents;
type Listener<K extends RunEventName> = (payload: RunEvents[K]) => void;

export class EventBus {
  private readonly listeners = new Map<RunEventName, Set<Listener<RunEventName>>>();
  private readonly onListenerError: (error: unknown, event: RunEventName) => void;

  constructor(onListenerError: (error: unknown, event: RunEventName) => void = (error, event) => {
    process.stderr.write(`chaosctl: a listener of "${event}" failed and was skipped: ${String(error)}\n`);
  }) {
    this.onListenerError = onListenerError;
  }

  on<K extends RunEventName>(event: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<RunEventName>);
    return () => set.delete(listener as Listener<RunEventName>);
  }

  emit<K extends RunEventName>(event: K, payload: RunEvents[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
