/**
 * Which answers of a load step the scenario requires rather than suffers, read from the
 * scenario itself, before anything runs: L11 demands 503 from /health while PostgreSQL is
 * down and loads /health through the outage, so those 503s are its expected outcome. A load
 * and a probe meet when their drivers name the same path on the target (`targetPath`), so
 * nothing here knows which kinds of load or probe can.
 */
import { toMs } from '../core/duration.ts';
import { loadInsideFault, statusRequiredDuring, type RequiredOutcomes } from '../core/required-outcomes.ts';
import { loadDriverFor, probeDriverFor, BUILTIN_REGISTRIES, type Registries, type Scenario } from '../drivers/registry.ts';

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
      const required = e.kind === 'probe' ? statusRequiredDuring(e) : undefined;
      if (required === undefined) continue;
      const probe = scenario.probes.find((p) => p.name === required.probe);
      if (probe === undefined || probeDriverFor(registries, probe).targetPath?.(probe) !== loadPath) continue;
      const fault = steps.get(required.during);
      if (!fault?.fault) continue;
      const faultStart = toMs(fault.at);
      const faultEnd = fault.for === undefined ? Number.POSITIVE_INFINITY : faultStart + toMs(fault.for);
      if (!loadInsideFault(loadStart, loadEnd, faultStart, faultEnd)) continue;
      const entry = (out[step.name] ??= { statuses: [], because: [] });
      if (!entry.statuses.includes(String(required.status))) entry.statuses.push(String(required.status));
      entry.because.push(e.id ?? required.probe);
    }
  }
  return out;
}
