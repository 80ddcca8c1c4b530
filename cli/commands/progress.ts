/** Plain progress lines on stderr, built only from run events. */
import { formatMs } from '../core/duration.ts';
import type { EventBus } from '../core/events.ts';
import type { Journal } from '../core/journal.ts';
import { describeFailures, type RequiredOutcomes } from '../core/required-outcomes.ts';

const MARK: Record<string, string> = { passed: 'PASS', failed: 'FAIL', aborted: 'ABORTED', error: 'ERROR', interrupted: 'INTERRUPTED' };

function stamp(tMs: number): string {
  return `[${(tMs / 1000).toFixed(1).padStart(6)}s]`;
}

/** Subscribes a line printer; returns a function that unsubscribes it. */
export function attachProgress(bus: EventBus, write: (line: string) => void, options: { everySeconds?: number } = {}): () => void {
  const every = options.everySeconds ?? 5;
  let required: Record<string, RequiredOutcomes> = {};
  const offs = [
    bus.on('run:start', (e) => {
      required = e.requiredOutcomes ?? {};
      write(`\n▶ ${e.scenarioId}  ${e.title}  (timeline ${formatMs(e.timelineMs)})`);
    }),
    bus.on('stack:progress', (e) => write(`  stack: ${e.line}`)),
    bus.on('steady:checked', (e) =>
      write(`  steady state ${e.phase}: ${e.result.description} — ${e.result.passed ? 'ok' : `NOT MET after ${e.result.attempts} sample(s)`}`),
    ),
    bus.on('log', (e) => write(`  ${stamp(e.tMs)} ${e.level === 'info' ? '' : `${e.level.toUpperCase()} `}${e.message}`)),
    bus.on('load:second', (e) => {
      const second = Math.round(e.second.tMs / 1000);
      if (second % every !== 0) return;
      const failures = describeFailures(e.second.errors, e.second.errorsBy, required[e.step]);
      write(`  ${stamp(e.second.tMs)} ${e.step}: ${e.second.requests} req/s, p95 ${formatMs(e.second.p95Ms)}, ${failures}`);
    }),
    bus.on('expectation', ({ result }) =>
      write(`  ${result.passed ? '✓' : '✗'} ${result.clause} ${result.id}: ${result.assertion} — ${result.observed}`),
    ),
    bus.on('run:end', (e) => write(`${MARK[e.status] ?? e.status} ${e.scenarioId} in ${formatMs(e.durationMs)}${e.reason ? ` — ${e.reason}` : ''}`)),
  ];
  return () => offs.forEach((off) => off());
}

/**
 * One scenario's verdict for the closing summary: "FAILED      C1 in 30.1 s — 1 of 11
 * expectation(s) failed: health-503-while-db-down". Printed after the stack is down, so
 * it is the last thing on screen whether the dashboard or plain lines were used.
 */
export function verdictLine(journal: Journal): string {
  const failed = journal.expectations.filter((e) => !e.passed).map((e) => e.id);
  const why = journal.reason === undefined ? '' : ` — ${journal.reason}${failed.length > 0 ? `: ${failed.join(', ')}` : ''}`;
  const sabotage = journal.environment.sabotage.length === 0 ? '' : ` [sabotage: ${journal.environment.sabotage.join(', ')}]`;
  return `${journal.status.toUpperCase().padEnd(11)} ${journal.scenario.id} in ${formatMs(journal.durationMs)}${sabotage}${why}`;
}
