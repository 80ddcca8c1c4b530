/**
 * Runs one scenario: steady state before → timeline (loads, faults and probes on
 * one clock) → every fault reverted, whatever happened → steady state after →
 * verdicts. Everything observed goes into the journal; nothing here exits.
 */
import { evaluateExpectation, checkCondition, describeCondition } from './assertions.ts';
import { startClock, type Clock } from '../core/clock.ts';
import { formatMs, toMs } from '../core/duration.ts';
import type { EventBus, RunEvents } from '../core/events.ts';
import type { InjectionLedger } from './injection-ledger.ts';
import { JOURNAL_VERSION, type ActionRecord, type FaultRecord, type FixtureRecord, type Journal, type JournalEvent, type ProbeRecord, type RunStatus, type SteadyCheckResult, type TimelineEntry } from '../core/journal.ts';
import type { SteadyCheck } from '../core/scenario-schema.ts';
import { expectationId, scenarioFingerprint, type LoadedScenario } from './scenario-loader.ts';
import type { FaultContext } from '../drivers/faults/types.ts';
import { actionDriverFor, BUILTIN_REGISTRIES, faultDriverFor, loadDriverFor, probeDriverFor, type ActionSpec, type FaultSpec, type LoadSpec, type ProbeSpec, type Registries, type Scenario, type Step } from '../drivers/registry.ts';
import { runFixtures } from './fixtures.ts';
import { describeFailures, type RequiredOutcomes } from '../core/required-outcomes.ts';
import { requiredOutcomesOf } from './required-outcomes.ts';
import { watchStopConditions } from './stop-conditions.ts';
import { probeContext, runProbe, type ProbeContext } from '../drivers/probes/index.ts';
import type { StackEndpoints, StackProvider } from '../stack/types.ts';

export interface RunOptions {
  loaded: LoadedScenario;
  runId: string;
  stack: StackProvider;
  endpoints: StackEndpoints;
  bus: EventBus;
  ledger: InjectionLedger;
  /** Aborts on SIGINT/SIGTERM: the timeline ends at once, faults are still reverted. */
  signal: AbortSignal;
  sabotage: string[];
  chaosctlVersion: string;
  services: Record<string, string>;
  /** How often steady-state checks sample while waiting for their condition. */
  steadyPollMs?: number;
  /** The drivers of every kind of step and probe; the built-in ones unless a test passes its own. */
  registries?: Registries;
}

/** The options once the registries are settled (the built-in ones when none were given). */
type Settled = RunOptions & { registries: Registries };

/** Length of the timeline: its declared duration, else the end of its last step. */
export function timelineLength(scenario: Scenario): number {
  if (scenario.timeline.duration) return toMs(scenario.timeline.duration);
  return Math.max(...scenario.timeline.steps.map((s) => toMs(s.at) + (s.for ? toMs(s.for) : 0)));
}

/** The timeline as planned, for views that show what is still to come. */
function planOf(scenario: Scenario): NonNullable<RunEvents['run:start']['plan']> {
  return scenario.timeline.steps.map((s) => ({ step: s.name, kind: s.load ? 'load' : s.fault ? 'fault' : 'action', atMs: toMs(s.at), forMs: s.for ? toMs(s.for) : null }));
}

/** What each probe is judged by, in words, for views that show a probe's value next to it. */
function probeConditionsOf(scenario: Scenario): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (probe: string, text: string): void => {
    out[probe] = [...(out[probe] ?? []), text];
  };
  for (const check of scenario.steadyState) add(check.probe, `steady ${describeCondition(check.condition)}`);
  for (const e of scenario.expect) {
    if (e.kind === 'probe') add(e.probe, `${e.mode} ${describeCondition(e.condition)}`);
    if (e.kind === 'final') add(e.probe, `final ${describeCondition(e.condition)}`);
  }
  return out;
}

interface ActiveFault {
  record: FaultRecord;
  spec: FaultSpec;
  key: string;
  revert: () => Promise<void>;
}

export async function runScenario(runOptions: RunOptions): Promise<Journal> {
  const options: Settled = { ...runOptions, registries: runOptions.registries ?? BUILTIN_REGISTRIES };
  const { loaded, bus, signal } = options;
  const { scenario } = loaded;
  const startedAt = new Date();
  const timelineMs = timelineLength(scenario);
  let clock: Clock = startClock();
  const journal = newJournal(options, startedAt, timelineMs);
  const log = (level: JournalEvent['level'], message: string): void => {
    const event = { tMs: Math.round(clock.now()), level, message };
    journal.events.push(event);
    bus.emit('log', event);
  };
  const requiredOutcomes = requiredOutcomesOf(scenario, options.registries);
  bus.emit('run:start', {
    runId: options.runId,
    scenarioId: scenario.id,
    title: scenario.title,
    timelineMs,
    plan: planOf(scenario),
    probeConditions: probeConditionsOf(scenario),
    requiredOutcomes,
  });
  for (const [key, value] of Object.entries(scenario.target.env)) log('info', `target override ${key}=${value}`);
  if (loaded.profile) log('info', `profile ${loaded.profile} laid over the scenario file`);

  const problems: string[] = [];
  const probes = probeContext(options.endpoints, clock, startedAt);
  let steadyBefore = false;
  try {
    const ready = await setupFixtures(scenario, journal, probes, log, problems);
    if (ready) journal.steadyState.before = await steadyState('before', scenario.steadyState, options, { ...probes, clock });
    steadyBefore = ready && journal.steadyState.before.every((r) => r.passed);
    if (steadyBefore && !signal.aborted) {
      clock = startClock();
      const ctx: ProbeContext = { ...probes, clock };
      bus.emit('timeline:start', { t0: Date.now() });
      await runTimeline(scenario, options, ctx, journal, timelineMs, log, problems, requiredOutcomes);
      if (!signal.aborted && problems.length === 0 && !journal.abort) {
        journal.steadyState.after = await steadyState('after', scenario.steadyState, options, ctx);
        await finalSamples(scenario, journal, ctx, options.registries);
      }
    } else if (ready && !steadyBefore) {
      log('error', 'steady state before the timeline was not met: the timeline did not run');
    }
  } finally {
    await recordFixtures('teardown', scenario, journal, probes, log);
    await probes.close();
  }
  return finish(journal, options, startedAt, problems, steadyBefore);
}

function fixtureLine(r: FixtureRecord): string {
  if (r.error) return `fixture ${r.phase} ${r.name} failed after ${r.durationMs} ms: ${r.error}`;
  return `fixture ${r.phase} ${r.name}: ${r.rowCount ?? 0} row(s) in ${r.durationMs} ms`;
}

/** Runs one phase's fixtures into the journal and the log (a failed setup is an error, a failed teardown a warning). */
async function recordFixtures(
  phase: 'setup' | 'teardown',
  scenario: Scenario,
  journal: Journal,
  probes: ProbeContext,
  log: (level: JournalEvent['level'], message: string) => void,
): Promise<FixtureRecord[]> {
  if (scenario.fixtures[phase].length === 0) return [];
  const records = await runFixtures(phase, scenario.fixtures[phase], probes.db());
  journal.fixtures.push(...records);
  for (const r of records) log(r.error ? (phase === 'setup' ? 'error' : 'warn') : 'info', fixtureLine(r));
  return records;
}

/** Runs the setup fixtures; false (with the problem recorded) when one failed. */
async function setupFixtures(
  scenario: Scenario,
  journal: Journal,
  probes: ProbeContext,
  log: (level: JournalEvent['level'], message: string) => void,
  problems: string[],
): Promise<boolean> {
  const records = await recordFixtures('setup', scenario, journal, probes, log);
  const failed = records.find((r) => r.error);
  if (failed) problems.push(`fixture ${failed.name} could not be set up: ${failed.error}`);
  return !failed;
}

/** The verdict: status and reason from what the journal holds. */
function finish(journal: Journal, options: RunOptions, startedAt: Date, problems: string[], steadyBefore = false): Journal {
  const { bus, signal } = options;
  const { scenario } = options.loaded;
  let status: RunStatus;
  let reason: string | undefined;
  if (signal.aborted) {
    status = 'interrupted';
    reason = 'interrupted; every fault was reverted';
  } else if (problems.length > 0) {
    status = 'error';
    reason = problems.join('; ');
  } else if (journal.abort) {
    const stop = journal.abort;
    status = 'aborted';
    reason = `aborted at ${formatMs(stop.atMs)} by stop condition ${stop.id}: ${stop.description}`;
    journal.expectations = scenario.expect.map((exp, index) => ({
      ...evaluateExpectation(exp, expectationId(exp, index), journal),
      passed: false,
      observed: `not evaluated: the run was aborted at ${formatMs(stop.atMs)} by stop condition ${stop.id}`,
      evidence: {},
    }));
    for (const result of journal.expectations) bus.emit('expectation', { result });
  } else {
    journal.expectations = scenario.expect.map((exp, index) => {
      const id = expectationId(exp, index);
      if (!steadyBefore) {
        const r = evaluateExpectation(exp, id, journal);
        return { ...r, passed: false, observed: 'not evaluated: the steady state before the timeline was not met', evidence: {} };
      }
      return evaluateExpectation(exp, id, journal);
    });
    for (const result of journal.expectations) bus.emit('expectation', { result });
    const steadyOk = steadyBefore && journal.steadyState.after.every((r) => r.passed);
    const failed = journal.expectations.filter((e) => !e.passed).length;
    status = steadyOk && failed === 0 ? 'passed' : 'failed';
    if (status === 'failed') {
      reason = !steadyBefore
        ? 'steady state before the timeline was not met'
        : failed > 0
          ? `${failed} of ${journal.expectations.length} expectation(s) failed`
          : 'the steady state did not come back after the faults were reverted';
    }
  }
  const endedAt = new Date();
  journal.status = status;
  if (reason) journal.reason = reason;
  journal.endedAt = endedAt.toISOString();
  journal.durationMs = endedAt.getTime() - startedAt.getTime();
  bus.emit('run:end', { scenarioId: scenario.id, status, ...(reason ? { reason } : {}), durationMs: journal.durationMs });
  return journal;
}

/** A probe's record before its first sample: its spec and what its driver says of it. */
function probeRecord(spec: ProbeSpec, registries: Registries): ProbeRecord {
  const driver = probeDriverFor(registries, spec);
  const targetPath = driver.targetPath?.(spec);
  return { name: spec.name, spec, description: driver.describe(spec), ...(targetPath === undefined ? {} : { targetPath }), samples: [] };
}

/** What a journal needs of the run's options when nothing ran. */
type JournalOptions = Pick<RunOptions, 'loaded' | 'runId' | 'stack' | 'sabotage' | 'chaosctlVersion' | 'services'> & { registries: Registries };

/**
 * The journal of a scenario this stack cannot run at all (docker mode and `target.instances: 2`):
 * status error with the reason, nothing measured, announced on the bus like any run, so the
 * other scenarios of the same invocation still run and the summary says why this one did not.
 */
export function notRunJournal(options: Omit<JournalOptions, 'registries'> & { registries?: Registries; bus: EventBus }, reason: string): Journal {
  const settled: JournalOptions = { ...options, registries: options.registries ?? BUILTIN_REGISTRIES };
  const { scenario } = options.loaded;
  const journal = newJournal(settled, new Date(), timelineLength(scenario));
  journal.reason = reason;
  journal.events.push({ tMs: 0, level: 'error', message: reason });
  options.bus.emit('run:start', { runId: options.runId, scenarioId: scenario.id, title: scenario.title, timelineMs: journal.timelineDurationMs });
  options.bus.emit('log', { tMs: 0, level: 'error', message: reason });
  options.bus.emit('run:end', { scenarioId: scenario.id, status: 'error', reason, durationMs: 0 });
  return journal;
}

function newJournal(options: JournalOptions, startedAt: Date, timelineMs: number): Journal {
  const { scenario, file } = options.loaded;
  return {
    journalVersion: JOURNAL_VERSION,
    runId: options.runId,
    scenario: {
      id: scenario.id,
      title: scenario.title,
      kind: scenario.kind,
      ...(scenario.description ? { description: scenario.description } : {}),
      covers: scenario.covers,
      file,
      fingerprint: scenarioFingerprint(scenario),
    },
    status: 'error',
    startedAt: startedAt.toISOString(),
    endedAt: startedAt.toISOString(),
    durationMs: 0,
    timelineDurationMs: timelineMs,
    environment: {
      chaosctl: options.chaosctlVersion,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      stackMode: options.stack.mode,
      targetOverrides: { ...scenario.target.env },
      ...(options.loaded.profile ? { profile: options.loaded.profile } : {}),
      sabotage: [...options.sabotage],
      services: options.services,
    },
    steadyState: { before: [], after: [] },
    timeline: [],
    loads: [],
    faults: [],
    actions: [],
    fixtures: [],
    probes: scenario.probes.map((spec) => probeRecord(spec, options.registries)),
    expectations: [],
    finalSamples: {},
    events: [],
  };
}

/** One sample of every probe a `final` expectation reads, after the run is over. */
async function finalSamples(scenario: Scenario, journal: Journal, ctx: ProbeContext, registries: Registries): Promise<void> {
  const names = new Set(scenario.expect.flatMap((e) => (e.kind === 'final' ? [e.probe] : [])));
  for (const name of names) {
    const spec = scenario.probes.find((p) => p.name === name);
    if (spec) journal.finalSamples[name] = await probeDriverFor(registries, spec).sample(spec, ctx);
  }
}

async function steadyState(phase: 'before' | 'after', checks: SteadyCheck[], options: Settled, ctx: ProbeContext): Promise<SteadyCheckResult[]> {
  const { clock } = ctx;
  const results: SteadyCheckResult[] = [];
  for (const check of checks) {
    const spec = options.loaded.scenario.probes.find((p) => p.name === check.probe);
    if (!spec) continue; // the loader rejects such a scenario; kept total for the type checker
    const description = `${check.probe}: ${describeCondition(check.condition)}`;
    const deadline = clock.now() + toMs(check.within);
    let attempts = 0;
    let last = null;
    let passed = false;
    while (!options.signal.aborted) {
      attempts += 1;
      last = await probeDriverFor(options.registries, spec).sample(spec, ctx);
      passed = checkCondition(last, check.condition).ok;
      if (passed || clock.now() >= deadline) break;
      await clock.sleep(options.steadyPollMs ?? 250, options.signal);
    }
    const result: SteadyCheckResult = { probe: check.probe, description, passed, attempts, last };
    results.push(result);
    options.bus.emit('steady:checked', { phase, result });
  }
  return results;
}

async function runTimeline(
  scenario: Scenario,
  options: Settled,
  ctx: ProbeContext,
  journal: Journal,
  timelineMs: number,
  log: (level: JournalEvent['level'], message: string) => void,
  problems: string[],
  requiredOutcomes: Record<string, RequiredOutcomes>,
): Promise<void> {
  const { bus, ledger } = options;
  const { clock } = ctx;
  // Ends the timeline early on interrupt or when a driver fails.
  const halt = new AbortController();
  const onAbort = (): void => halt.abort();
  options.signal.addEventListener('abort', onAbort, { once: true });
  const fail = (message: string): void => {
    problems.push(message);
    log('error', message);
    halt.abort();
  };
  // The scenario's brakes: the first that holds stops the timeline (faults are reverted below as ever).
  const unwatch = watchStopConditions(scenario.abortWhen, bus, (record) => {
    journal.abort = record;
    log('error', `stop condition ${record.id} held: ${record.description} — ${record.evidence}; stopping the timeline`);
    halt.abort();
  });

  const probesDone = new AbortController();
  // The journal holds one record per probe of the scenario, in the scenario's order.
  const probeTasks = scenario.probes.map((spec, i) => {
    const record = journal.probes[i] as ProbeRecord;
    return runProbe(probeDriverFor(options.registries, spec), spec, ctx, probesDone.signal, (sample) => {
      record.samples.push(sample);
      bus.emit('probe:sample', { probe: record.name, sample });
    });
  });

  const active: ActiveFault[] = [];
  const faultCtx: FaultContext = { stack: options.stack, endpoints: options.endpoints };

  const runLoad = async (step: Step, spec: LoadSpec, entry: TimelineEntry): Promise<void> => {
    const forMs = step.for ? toMs(step.for) : timelineMs - entry.plannedAtMs;
    const driver = loadDriverFor(options.registries, spec);
    entry.startedMs = clock.now();
    bus.emit('step:start', { step: step.name, kind: 'load', tMs: entry.startedMs });
    log('info', `load ${step.name} started: ${driver.describe(spec)}`);
    let run;
    try {
      run = driver.start(step.name, spec, forMs, { endpoints: options.endpoints, clock, bus });
    } catch (error) {
      entry.error = (error as Error).message;
      return fail(`load ${step.name} could not start: ${entry.error}`);
    }
    await Promise.race([run.finished, clock.until(entry.plannedAtMs + forMs, halt.signal)]);
    const targetPath = driver.targetPath?.(spec);
    const record = { ...(await run.stop()), ...(targetPath === undefined ? {} : { targetPath }) };
    journal.loads.push(record);
    if (record.driverError) fail(`load ${step.name}: ${record.driverError}`);
    entry.endedMs = clock.now();
    bus.emit('step:end', { step: step.name, kind: 'load', tMs: entry.endedMs });
    log('info', `load ${step.name} ended: ${record.requests} requests, ${describeFailures(record.errors, record.statusCounts, requiredOutcomes[step.name])}`);
  };

  const runFault = async (step: Step, spec: FaultSpec, entry: TimelineEntry): Promise<void> => {
    const driver = faultDriverFor(options.registries, spec);
    const record: FaultRecord = { step: step.name, spec, description: driver.describe(spec), injectedMs: null, revertStartedMs: null, revertedMs: null };
    journal.faults.push(record);
    const key = `${options.runId}/${scenario.id}/${step.name}`;
    // Written before anything is touched: a crash from here on leaves a ledger entry for `recover`.
    ledger.add({
      key,
      runId: options.runId,
      scenarioId: scenario.id,
      step: step.name,
      spec,
      description: record.description,
      pid: process.pid,
      state: 'applying',
      since: new Date().toISOString(),
      stackMode: options.stack.mode,
    });
    let reverting: Promise<void> | null = null;
    const revert = (): Promise<void> =>
      (reverting ??= (async () => {
        record.revertStartedMs = clock.now();
        try {
          const detail = await driver.revert(step.name, spec, faultCtx);
          record.revertedMs = clock.now();
          if (detail) record.revertDetail = detail;
          ledger.remove(key);
          bus.emit('fault:reverted', { fault: record, tMs: record.revertedMs });
          log('info', `fault ${step.name} reverted (was: ${record.description})${record.revertDetail ? `: ${record.revertDetail}` : ''}`);
        } catch (error) {
          record.revertError = (error as Error).message;
          problems.push(`fault ${step.name} could not be reverted (run \`chaosctl recover\`): ${record.revertError}`);
          log('error', `fault ${step.name} could not be reverted: ${record.revertError}`);
        }
      })());
    active.push({ record, spec, key, revert });
    entry.startedMs = clock.now();
    bus.emit('step:start', { step: step.name, kind: 'fault', tMs: entry.startedMs });
    try {
      const detail = await driver.inject(step.name, spec, faultCtx);
      ledger.markApplied(key);
      record.injectedMs = clock.now();
      if (detail) record.injectDetail = detail;
      bus.emit('fault:injected', { fault: record, tMs: record.injectedMs });
      log('info', `fault ${step.name} in place: ${record.description}${record.injectDetail ? `: ${record.injectDetail}` : ''}`);
    } catch (error) {
      record.injectError = (error as Error).message;
      entry.error = record.injectError;
      return fail(`fault ${step.name} could not be applied: ${record.injectError}`);
    }
    if (step.for) {
      await clock.until(entry.plannedAtMs + toMs(step.for), halt.signal);
      await revert();
    }
    entry.endedMs = clock.now();
    bus.emit('step:end', { step: step.name, kind: 'fault', tMs: entry.endedMs });
  };

  const runAction = async (step: Step, spec: ActionSpec, entry: TimelineEntry): Promise<void> => {
    const driver = actionDriverFor(options.registries, spec);
    const record: ActionRecord = { step: step.name, spec, description: driver.describe(spec), startedMs: clock.now(), endedMs: null, outcome: null };
    journal.actions.push(record);
    entry.startedMs = record.startedMs;
    bus.emit('step:start', { step: step.name, kind: 'action', tMs: entry.startedMs });
    log('info', `action ${step.name} started: ${record.description}`);
    Object.assign(record, await driver.run(spec, { endpoints: options.endpoints }));
    record.endedMs = entry.endedMs = clock.now();
    if (record.error) entry.error = record.error;
    bus.emit('step:end', { step: step.name, kind: 'action', tMs: entry.endedMs, ...(record.error ? { error: record.error } : {}) });
    const took = `${Math.round(record.endedMs - record.startedMs)} ms`;
    log(record.error ? 'warn' : 'info', `action ${step.name} ended: ${record.outcome ?? 'no outcome'} after ${took}${record.detail ? ` (${record.detail})` : ''}${record.error ? `: ${record.error}` : ''}`);
  };

  const stepTasks = scenario.timeline.steps.map(async (step) => {
    const entry: TimelineEntry = {
      step: step.name,
      kind: step.load ? 'load' : step.fault ? 'fault' : 'action',
      plannedAtMs: toMs(step.at),
      plannedForMs: step.for ? toMs(step.for) : null,
      startedMs: null,
      endedMs: null,
    };
    journal.timeline.push(entry);
    await clock.until(entry.plannedAtMs, halt.signal);
    if (halt.signal.aborted) return;
    if (step.load) await runLoad(step, step.load, entry);
    else if (step.fault) await runFault(step, step.fault, entry);
    else if (step.action) await runAction(step, step.action, entry);
  });

  try {
    await clock.until(timelineMs, halt.signal);
    await Promise.allSettled(stepTasks);
  } finally {
    unwatch();
    probesDone.abort();
    // Every fault still in place is reverted, newest first, each independently of the others.
    const pending = active.filter((f) => f.record.revertedMs === null).reverse();
    for (const fault of pending) await fault.revert();
    await Promise.allSettled(probeTasks);
    options.signal.removeEventListener('abort', onAbort);
    journal.timeline.sort((a, b) => a.plannedAtMs - b.plannedAtMs);
  }
}
