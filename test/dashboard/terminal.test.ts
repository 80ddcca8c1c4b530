/**
 * The dashboard drawn by Ink into a terminal of 80×24 (a stream that says it is a TTY of
 * that size): however much a run has to show, Ink never clears the screen (it does so
 * once its output is as tall as the terminal: the flicker and lost scrollback of old),
 * and the ending (each scenario's verdict) is written once and not erased.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createElement } from 'react';
import type { AnyEvent, DashboardState } from '../../cli/dashboard/state.ts';

// Ink writes frames only outside CI (it reads the variable when it loads): this test is about those frames.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
const { render } = await import('ink');
const { initialState, reduce } = await import('../../cli/dashboard/state.ts');
const { Dashboard } = await import('../../cli/dashboard/view.tsx');

/** A stream that looks like an 80×24 terminal and keeps everything written to it. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = 80;
  readonly rows = 24;
  output = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.output += chunk.toString();
    done();
  }
}

test('a busy run at 80×24: no frame clears the screen, and the ending is written once', async () => {
  const terminal = new FakeTerminal();
  let state: DashboardState = initialState();
  const frame = (): ReturnType<typeof createElement> => createElement(Dashboard, { state, now: 5000, rows: terminal.rows, columns: terminal.columns, color: false });
  const ink = render(frame(), { stdout: terminal as unknown as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false });
  const apply = (event: AnyEvent): void => {
    state = reduce(state, event, 0);
    ink.rerender(frame());
  };
  for (const id of ['L11', 'C1']) {
    apply({ name: 'run:start', payload: { runId: 'r', scenarioId: id, title: 'a scenario', timelineMs: 20_000, plan: Array.from({ length: 12 }, (_, i) => ({ step: `step-${i}`, kind: 'load', atMs: i * 1000, forMs: 1000 })) } });
    apply({ name: 'timeline:start', payload: { t0: 0 } });
    for (let i = 0; i < 40; i++) {
      apply({ name: 'load:second', payload: { step: `load-${i % 5}`, second: { tMs: i * 1000, requests: 100, errors: 0, p95Ms: 10 + i, maxMs: 40 } } });
      apply({ name: 'probe:sample', payload: { probe: `probe-${i % 6}`, sample: { tMs: i * 1000, ok: true, status: 200, latencyMs: 3 } } });
      apply({ name: 'log', payload: { tMs: i * 1000, level: 'info', message: `event ${i}` } });
    }
    apply({ name: 'expectation', payload: { result: { id: 'p95', kind: 'latency', clause: id, text: 't', assertion: 'a', passed: true, observed: 'p95 = 12 ms', evidence: {} } } });
    apply({ name: 'run:end', payload: { scenarioId: id, status: 'passed', durationMs: 21_000 } });
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  ink.unmount();
  assert.ok(!terminal.output.includes('\u001b[2J'), 'no frame cleared the screen');
  assert.ok(!terminal.output.includes('\u001b[3J'), 'no frame cleared the scrollback');
  for (const id of ['L11', 'C1']) {
    const verdicts = terminal.output.split(`PASSED      ${id} in 21.0 s`).length - 1;
    assert.equal(verdicts, 1, `${id}'s verdict written once, to stay`);
  }
});
