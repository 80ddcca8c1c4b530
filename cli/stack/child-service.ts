/**
 * The shape every local service shares (postgres, toxiproxy, target), and the
 * ServiceControl built on it: restart, isRunning and ensureRunning are the
 * same for all three.
 */
import { ChaosError } from '../core/errors.ts';
import type { ServiceControl, ServiceName } from './types.ts';
import { processState, sendSignal, stopProcess, waitUntil } from './processes.ts';

export type RunState = 'running' | 'paused' | 'stopped';

/** The primitive operations of one local service. */
export interface LocalService {
  state(): Promise<RunState>;
  /** Starts it when stopped, resumes it when paused; nothing when it runs. */
  start(): Promise<void>;
  /** Stops it (resuming it first when paused); nothing when stopped. */
  stop(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  kill(): Promise<void>;
}

export function serviceControl(service: () => Promise<LocalService>): ServiceControl {
  return {
    stop: async () => (await service()).stop(),
    start: async () => (await service()).start(),
    restart: async () => {
      const s = await service();
      await s.stop();
      await s.start();
    },
    pause: async () => (await service()).pause(),
    resume: async () => (await service()).resume(),
    kill: async () => (await service()).kill(),
    isRunning: async () => {
      try {
        return (await (await service()).state()) === 'running';
      } catch (error) {
        // No stack at all: nothing runs.
        if (error instanceof ChaosError && error.code === 'CHAOSCTL_E_STACK_DOWN') return false;
        throw error;
      }
    },
    ensureRunning: async () => (await service()).start(),
  };
}

/**
 * A single process the stack spawned (toxiproxy, the target): found through a
 * pid that is only trusted while the process's command line still matches.
 */
export class SingleProcessService implements LocalService {
  private readonly name: ServiceName;
  private readonly currentPid: () => Promise<number | null>;
  private readonly launch: () => Promise<void>;

  /**
   * @param currentPid the live pid of this service, or null when it does not run
   * @param launch starts a fresh process (and records its pid)
   */
  constructor(name: ServiceName, currentPid: () => Promise<number | null>, launch: () => Promise<void>) {
    this.name = name;
    this.currentPid = currentPid;
    this.launch = launch;
  }

  async state(): Promise<RunState> {
    const pid = await this.currentPid();
    if (pid === null) return 'stopped';
    return processState(pid) === 'paused' ? 'paused' : 'running';
  }

  async start(): Promise<void> {
    const state = await this.state();
    if (state === 'paused') await this.resume();
    if (state === 'stopped') await this.launch();
  }

  async stop(): Promise<void> {
    const pid = await this.currentPid();
    if (pid === null) return;
    // SIGTERM, and SIGKILL when it is still there after 5 s.
    await stopProcess(pid, 5000);
  }

  async pause(): Promise<void> {
    const pid = await this.currentPid();
    if (pid === null) throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: `pause ${this.name}`, detail: 'it is not running' });
    sendSignal(pid, 'SIGSTOP');
    // Signals land asynchronously; return once the kernel shows it stopped (bounded).
    await waitUntil(() => processState(pid) !== 'running', 2000);
  }

  async resume(): Promise<void> {
    const pid = await this.currentPid();
    if (pid === null) return;
    sendSignal(pid, 'SIGCONT');
    await waitUntil(() => processState(pid) !== 'paused', 2000);
  }

  async kill(): Promise<void> {
    const pid = await this.currentPid();
    if (pid === null) return;
    sendSignal(pid, 'SIGKILL');
    if (!(await waitUntil(() => processState(pid) === 'gone', 5000))) throw new Error(`${this.name} (pid ${pid}) is still there after SIGKILL`);
  }
}
