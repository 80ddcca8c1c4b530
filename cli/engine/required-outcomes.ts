/**
 * Which answers of a load step the scenario requires rather than suffers, read from the
 * scenario itself, before anything runs: L11 demands 503 from /health while PostgreSQL is
 * down and loads /health through the outage, so those 503s are its expected outcome. A load
 * and a probe meet when their drivers name the same path on the target (`targetPath`), so
 * nothing here knows which kinds of load or probe can.
 */
import { toMs } from '../core/duration.ts';
import type { RequiredOutcomes } from '../core/required-outcomes.ts';
import { loadDriverFor, probeDriverFor, BUILTIN_REGISTRIES, type Registries, type Scenario } from '../drivers/registry.ts';

/** Slack around a fault's planned window within which a load still counts as running during it. */
const WINDOW_SLACK_MS = 1000;

/**
 * Per load step: the non-2xx statuses a probe expectation requires (mode always or
 * eventually) during a fault, on the path the load sends to, when the whole load is planned
 * inside that fault's window. Steps without any are left out.
 */
export function requiredOutcomesOf(scenario: Scenario, registries: Registries = BUILTIN_REGISTRIES): Record<string, RequiredOutcomes> {
  const steps = new Map(scenario.timeline.steps.map((s) => [s.name, s]));
  const out: Record<string, RequiredOutcomes> = {};
  for (const step of scenario.timeline.steps) {
    const load = step.load;
    const loadPath = load && loadDriverFor(registries, load).targetPath?.(load);
    if (loadPath === undefined || step.for === undefined) continue;
    const loadStart = toMs(step.at);
    const loadEnd = loadStart + toMs(step.for);
    for (const e of scenario.expect) {
      const during = e.kind === 'probe' ? e.window?.during : undefined;
      if (e.kind !== 'probe' || e.mode === 'never' || during === undefined) continue;
      const status = e.condition.status;
      if (status === undefined || (status >= 200 && status < 300)) continue;
      const probe = scenario.probes.find((p) => p.name === e.probe);
      if (probe === undefined || probeDriverFor(registries, probe).targetPath?.(probe) !== loadPath) continue;
      const fault = steps.get(during);
      if (!fault?.fault) continue;
      const faultStart = toMs(fault.at);
      const faultEnd = fault.for === undefined ? Number.POSITIVE_INFINITY : faultStart + toMs(fault.for);
      if (loadStart < faultStart - WINDOW_SLACK_MS || loadEnd > faultEnd + WINDOW_SLACK_MS) continue;
      const entry = (out[step.name] ??= { statuses: [], because: [] });
      if (!entry.statuses.includes(String(status))) entry.statuses.push(String(status));
      entry.because.push(e.id ?? e.probe);
    }
  }
  return out;
}

