/** The live dashboard: one screen per scenario, drawn from DashboardState. */
import { Box, Text } from 'ink';
import { formatMs } from '../engine/duration.ts';
import type { DashboardState, LoadView, ProbeView, StepView } from './state.ts';

const BARS = '▁▂▃▄▅▆▇█';

/** A sparkline of values scaled to their own maximum. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(...values, 0);
  if (max <= 0) return values.map(() => BARS[0]).join('');
  return values.map((v) => BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))]).join('');
}

/** A progress bar of `width` cells. */
export function progressBar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

const STATUS_COLOR = { passed: 'green', failed: 'red', error: 'yellow', interrupted: 'yellow' } as const;
const STEP_MARK: Record<StepView['state'], string> = { pending: '·', running: '▶', done: '✓', failed: '✗' };

function StepLine({ step }: { step: StepView }) {
  const active = step.state === 'running';
  const color = step.state === 'failed' ? 'red' : active ? (step.kind === 'fault' ? 'red' : 'cyan') : step.state === 'done' ? 'green' : 'gray';
  return (
    <Text color={color}>
      {STEP_MARK[step.state]} {step.kind.padEnd(6)} {step.name}
      {step.description ? <Text color="gray"> — {step.description}</Text> : null}
      {active && step.kind === 'fault' ? <Text bold> IN PLACE</Text> : null}
    </Text>
  );
}

function LoadLine({ load }: { load: LoadView }) {
  return (
    <Text>
      <Text bold>{load.step.padEnd(16)}</Text> {String(load.lastRate).padStart(5)} req/s  p95 {formatMs(load.lastP95).padStart(9)}  {sparkline(load.p95History)}{' '}
      <Text color={load.errors > 0 ? 'red' : 'gray'}>{load.errors} failed of {load.requests}</Text>
    </Text>
  );
}

function ProbeLine({ probe }: { probe: ProbeView }) {
  const last = probe.last;
  const lastText = last ? (last.status !== null ? `${last.status}` : (last.error ?? 'error')) : '—';
  return (
    <Text>
      <Text bold>{probe.name.padEnd(16)}</Text> <Text color={last?.ok ? 'green' : 'red'}>{lastText.padStart(5)}</Text> {last ? formatMs(last.latencyMs).padStart(9) : ''}{'  '}
      {probe.history.map((ok, i) => (
        <Text key={i} color={ok ? 'green' : 'red'}>
          {ok ? '▪' : '▫'}
        </Text>
      ))}{' '}
      <Text color="gray">
        {probe.failures}/{probe.samples} not ok
      </Text>
    </Text>
  );
}

export function Dashboard({ state, now }: { state: DashboardState; now: number }) {
  const elapsed = state.timelineStartedAt === null ? 0 : now - state.timelineStartedAt;
  const fraction = state.timelineMs > 0 ? elapsed / state.timelineMs : 0;
  return (
    <Box flexDirection="column" paddingX={1}>
      {state.finished.map((s) => (
        <Text key={`${s.id}-${s.durationMs}`} color={STATUS_COLOR[s.status]}>
          {s.status.toUpperCase().padEnd(11)} {s.id} in {formatMs(s.durationMs)}
          {s.reason ? ` — ${s.reason}` : ''}
        </Text>
      ))}
      {state.scenarioId && state.phase !== 'done' ? (
        <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
          <Text>
            <Text bold color="cyan">
              {state.scenarioId}
            </Text>{' '}
            {state.title} <Text color="gray">[{state.phase}]</Text>
          </Text>
          <Text>
            {progressBar(fraction, 40)} {formatMs(Math.min(elapsed, state.timelineMs))} / {formatMs(state.timelineMs)}
          </Text>
          {state.steps.length > 0 ? (
            <Box flexDirection="column" marginTop={1}>
              {state.steps.map((step) => (
                <StepLine key={step.name} step={step} />
              ))}
            </Box>
          ) : null}
          {Object.keys(state.loads).length > 0 ? (
            <Box flexDirection="column" marginTop={1}>
              {Object.values(state.loads).map((load) => (
                <LoadLine key={load.step} load={load} />
              ))}
            </Box>
          ) : null}
          {Object.keys(state.probes).length > 0 ? (
            <Box flexDirection="column" marginTop={1}>
              {Object.values(state.probes).map((probe) => (
                <ProbeLine key={probe.name} probe={probe} />
              ))}
            </Box>
          ) : null}
          <Box flexDirection="column" marginTop={1}>
            {state.log.map((line, i) => (
              <Text key={i} color="gray">
                {line}
              </Text>
            ))}
          </Box>
        </Box>
      ) : null}
      {state.phase === 'done'
        ? state.expectations.map((e) => (
            <Text key={e.id} color={e.passed ? 'green' : 'red'}>
              {'  '}
              {e.passed ? '✓' : '✗'} {e.clause} {e.id}: {e.observed}
            </Text>
          ))
        : null}
    </Box>
  );
}
