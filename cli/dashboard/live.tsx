/**
 * Mounts the Ink dashboard on a terminal stream and feeds it run events. It only
 * listens: the run goes on the same whether it is shown or not.
 */
import { render } from 'ink';
import type { EventBus, RunEventName, RunEvents } from '../engine/events.ts';
import { initialState, reduce, type DashboardState } from './state.ts';
import { Dashboard } from './view.tsx';

const EVENTS: RunEventName[] = [
  'run:start',
  'stack:progress',
  'steady:checked',
  'timeline:start',
  'step:start',
  'step:end',
  'fault:injected',
  'fault:reverted',
  'load:second',
  'probe:sample',
  'expectation',
  'log',
  'run:end',
];

/** Redraws at most this often; events in between only update the state. */
const FRAME_MS = 150;

export function attachDashboard(bus: EventBus, stream: NodeJS.WriteStream): () => void {
  let state: DashboardState = initialState();
  // Ink must not take over stdin (raw mode would swallow Ctrl-C): no input hooks are used.
  const ink = render(<Dashboard state={state} now={Date.now()} />, { stdout: stream, exitOnCtrlC: false, patchConsole: false });
  const draw = (): void => ink.rerender(<Dashboard state={state} now={Date.now()} />);
  const timer = setInterval(draw, FRAME_MS);
  const offs = EVENTS.map((name) =>
    bus.on(name, (payload: RunEvents[typeof name]) => {
      state = reduce(state, { name, payload }, Date.now());
    }),
  );
  return () => {
    clearInterval(timer);
    offs.forEach((off) => off());
    draw();
    ink.unmount();
  };
}
