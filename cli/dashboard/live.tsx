/**
 * Mounts the Ink dashboard on a terminal stream and feeds it run events. It only
 * listens: the run goes on the same whether it is shown or not. `q` (and Ctrl-C, which
 * raw mode turns into a key) sends this process SIGINT, so aborting from the dashboard
 * takes the same path as Ctrl-C anywhere: the timeline ends and every fault is reverted.
 */
import { render } from 'ink';
import type { EventBus, RunEventName, RunEvents } from '../core/events.ts';
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

/** Redraws at most this often, and only when something changed (or the clock moved a running timeline). */
const FRAME_MS = 200;

/** Colour is off when NO_COLOR is set to anything (https://no-color.org). */
export function colourAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

/** Listens for q / Ctrl-C on a terminal stdin; returns a function that puts the terminal back. */
function listenForQuit(stdin: NodeJS.ReadStream): () => void {
  if (!stdin.isTTY) return () => undefined;
  stdin.setRawMode(true);
  stdin.resume();
  const onData = (data: Buffer): void => {
    const key = data.toString();
    if (key === 'q' || key === 'Q' || key === '\u0003') process.kill(process.pid, 'SIGINT');
  };
  stdin.on('data', onData);
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

export function attachDashboard(bus: EventBus, stream: NodeJS.WriteStream): () => void {
  let state: DashboardState = initialState();
  let dirty = true;
  const color = colourAllowed();
  const view = (): React.JSX.Element => <Dashboard state={state} now={Date.now()} rows={stream.rows ?? 24} columns={stream.columns ?? 80} color={color} />;
  // Ink does not read stdin (its raw mode would swallow Ctrl-C); q is read by listenForQuit.
  const ink = render(view(), { stdout: stream, exitOnCtrlC: false, patchConsole: false });
  const draw = (): void => {
    if (!dirty && state.phase !== 'timeline') return;
    dirty = false;
    ink.rerender(view());
  };
  const timer = setInterval(draw, FRAME_MS);
  const stopKeys = listenForQuit(process.stdin);
  const offs = EVENTS.map((name) =>
    bus.on(name, (payload: RunEvents[typeof name]) => {
      state = reduce(state, { name, payload }, Date.now());
      dirty = true;
    }),
  );
  return () => {
    clearInterval(timer);
    offs.forEach((off) => off());
    stopKeys();
    // The last frame: the finished scenarios stay (static), the live part is empty.
    state = { ...state, phase: 'done', stack: [] };
    dirty = true;
    draw();
    ink.unmount();
  };
}
