/**
 * The journal: the one serialisable record of a scenario run. The HTML, JUnit and
 * JSON reporters and the exit code read it and nothing else.
 */
import type { Condition, Expectation, ProbeSpecBase, ScenarioKind, StepSpec, Window } from './scenario-schema.ts';

export const JOURNAL_VERSION = 1;

/**
 * How a run ended. `passed`/`failed` are verdicts on the target; `aborted` is a failed verdict
 * reached early, by one of the scenario's stop conditions; `error` means the harness or stack failed.
 */
export type RunStatus = 'passed' | 'failed' | 'aborted' | 'error' | 'interrupted';

/** The stop condition that ended the timeline early (journal.abort). */
export interface StopRecord {
  id: string;
  /** The condition in words. */
  description: string;
  /** Run-clock time it had held long enough and the timeline was stopped. */
  atMs: number;
  /** Run-clock time its unbroken stretch began. */
  sinceMs: number;
  /** What was seen: how many samples or seconds in a row, and the last of them. */
  evidence: string;
}

/** Latency distribution in milliseconds. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** One second of a load step, for charts. */
export interface LoadSecond {
  /** Milliseconds since the timeline started (start of this second). */
  tMs: number;
  requests: number;
  errors: number;
  p95Ms: number;
  maxMs: number;
  /** The second's errors by outcome (status code, "timeout", "error"…), when it had any. */
  errorsBy?: Record<string, number>;
}

export interface LoadRecord {
  step: string;
  spec: StepSpec;
  /** The load in words, from its driver: "HTTP GET /health at 100/s over 10 connections". */
  description: string;
  /** The path on the target's HTTP side whose answers this load counts, when it sends to one (its driver says). */
  targetPath?: string;
  /** Requests per second the load was to send, when its driver sends at a fixed rate. */
  plannedRate?: number;
  startedMs: number;
  endedMs: number;
  requests: number;
  /** Responses outside 2xx plus transport errors and timeouts. */
  errors: number;
  /** Response counts by status code; transport errors under "error", timeouts under "timeout". */
  statusCounts: Record<string, number>;
  /** Latency as each response measured it. */
  latency: LatencySummary;
  /**
   * Latency corrected for coordinated omission: for every response slower than the
   * intended inter-request interval of its connection, the requests that should have
   * been sent meanwhile are counted with their waiting time. Expectations use this one.
   */
  correctedLatency: LatencySummary;
  /** Requests per second actually achieved. */
  achievedRate: number;
  series: LoadSecond[];
  /** Set when the driver itself broke (not the target): the run becomes an error, not a verdict. */
  driverError?: string;
}

export interface FaultRecord {
  step: string;
  spec: StepSpec;
  /** What was done, in words: "toxic latency 800ms on proxy postgres". */
  description: string;
  /** When the fault was in place (inject finished), on the run clock. */
  injectedMs: number | null;
  /** When its revert began: the fault was in place until then. */
  revertStartedMs: number | null;
  /** When its revert finished: the dependency is back from then on. */
  revertedMs: number | null;
  injectError?: string;
  revertError?: string;
  /** What the inject did in the stack's own terms, when the provider names it ("container x: docker stop at …"). */
  injectDetail?: string;
  /** Likewise for the revert ("container x: docker start at …"). */
  revertDetail?: string;
}

/** A one-shot action step (e.g. run a scheduled job now) and how it ended. */
export interface ActionRecord {
  step: string;
  spec: StepSpec;
  description: string;
  startedMs: number;
  endedMs: number | null;
  /** What the target answered, e.g. ok, skipped, failed, busy; null when it did not answer. */
  outcome: string | null;
  /** Further detail from the target (e.g. the job's own summary). */
  detail?: string;
  error?: string;
}

/** One fixture statement batch, run on the harness's own database connection. */
export interface FixtureRecord {
  phase: 'setup' | 'teardown';
  name: string;
  durationMs: number;
  /** Rows the last statement touched, as PostgreSQL reported it. */
  rowCount: number | null;
  error?: string;
}

export interface ProbeSample {
  tMs: number;
  /** The sample was taken: a 2xx answer for HTTP, a number read for sql/metrics. */
  ok: boolean;
  /** HTTP status; null for sql/metrics probes and for failed requests. */
  status: number | null;
  latencyMs: number;
  /** The number a sql or metrics probe read. */
  value?: number;
  error?: string;
}

export interface ProbeRecord {
  name: string;
  spec: ProbeSpecBase;
  /** What the probe samples, in words, from its driver (absent in journals written before it was recorded). */
  description?: string;
  /** The path on the target's HTTP side whose status the probe samples, when it reads one (its driver says). */
  targetPath?: string;
  samples: ProbeSample[];
}

export interface SteadyCheckResult {
  probe: string;
  description: string;
  passed: boolean;
  attempts: number;
  last: ProbeSample | null;
}

export interface ExpectationResult {
  id: string;
  kind: Expectation['kind'];
  clause: string;
  text: string;
  /** What was asserted, in words: "p95 of health-load < 200 ms". */
  assertion: string;
  passed: boolean;
  /** What was measured, in words: "p95 = 4.1 ms over 1500 requests". */
  observed: string;
  /** Numbers behind the verdict, for reports. */
  evidence: Record<string, unknown>;
  /**
   * What the expectation judged (absent in journals written before it was recorded):
   * the load, probe or action step, the probe condition and its window. Reports use it
   * to plot the judged value and to tell required outcomes (L11's 503s) from errors.
   */
  subject?: ExpectationSubject;
}

/** The thing an expectation looked at, as named in the scenario. */
export interface ExpectationSubject {
  load?: string;
  probe?: string;
  step?: string;
  condition?: Condition;
  window?: Window;
  mode?: 'always' | 'eventually' | 'never';
}

export interface TimelineEntry {
  step: string;
  kind: 'load' | 'fault' | 'action';
  plannedAtMs: number;
  plannedForMs: number | null;
  startedMs: number | null;
  endedMs: number | null;
  error?: string;
}

export interface JournalEvent {
  tMs: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface Journal {
  journalVersion: typeof JOURNAL_VERSION;
  runId: string;
  scenario: {
    id: string;
    title: string;
    kind: ScenarioKind;
    description?: string;
    covers: string[];
    file: string;
    /** sha256 of the scenario as run (profile applied): tells whether two runs ran the same scenario. */
    fingerprint?: string;
  };
  status: RunStatus;
  /** Why the run ended as it did, when it did not simply pass. */
  reason?: string;
  /** Set when a stop condition ended the timeline (status aborted). */
  abort?: StopRecord;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  timelineDurationMs: number;
  environment: {
    chaosctl: string;
    node: string;
    platform: string;
    stackMode: 'local' | 'docker';
    /** Target configuration this run set (scenario overrides); listed in every report. */
    targetOverrides: Record<string, string>;
    /** The scenario profile laid over the file (`--profile`), when one was. */
    profile?: string;
    sabotage: string[];
    /** Service versions and endpoints, no secrets. */
    services: Record<string, string>;
  };
  steadyState: { before: SteadyCheckResult[]; after: SteadyCheckResult[] };
  timeline: TimelineEntry[];
  loads: LoadRecord[];
  faults: FaultRecord[];
  actions: ActionRecord[];
  fixtures: FixtureRecord[];
  probes: ProbeRecord[];
  expectations: ExpectationResult[];
  /** One sample per probe named by a `final` expectation, taken after every fault was reverted. */
  finalSamples: Record<string, ProbeSample>;
  events: JournalEvent[];
  /** The last lines of each container's output when the run errored (docker stack; secrets masked). */
  stackLogs?: Record<string, string>;
}
