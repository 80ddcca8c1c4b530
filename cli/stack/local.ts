/**
 * The local stack: PostgreSQL (a throwaway cluster, or the server in
 * DATABASE_URL), a Toxiproxy server and the target, each a detached child
 * process that outlives the chaosctl process that started it. What runs is
 * recorded in <stateDir>/stack.json so later chaosctl processes find it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ChaosError } from '../engine/errors.ts';
import { PACKAGE_ROOT, stateDir } from '../paths.ts';
import { maskDatabaseUrl } from '../../target/config.ts';
import { withActiveMutant } from './active-mutant.ts';
import { serviceControl, SingleProcessService } from './child-service.ts';
import type { LocalService, RunState } from './child-service.ts';
import { freePort } from './free-port.ts';
import { httpStatus, waitForHttp } from './http-probe.ts';
import { canConnect, findPostgresBinDir, PostgresCluster } from './postgres-cluster.ts';
import { isOurProcess, processState, spawnDetached, stopProcess, tailOfFile, waitUntil } from './processes.ts';
import { PROXIED_DEPENDENCIES, proxyEnvFor } from './proxied-dependencies.ts';
import type { Upstreams } from './proxied-dependencies.ts';
import {
  emptyStackState,
  readStackState,
  removeStackState,
  stackLogDir,
  stackStateFile,
  writeStackState,
} from './state-file.ts';
import type { PostgresState, SimState, StackState, TargetState, ThrowawayPostgresState, ToxiproxyState } from './state-file.ts';
import { resolveToxiproxyBinary } from './toxiproxy-binary.ts';
import { launchSim, newSecrets, SIM_NAMES, simEnv, simMain, simUrl, TARGET_DEFAULT_ENV, targetSecretEnv, type SimName } from './simulators.ts';
import { startToxiproxyServer, syncProxies, toxiproxyAnswers, toxiproxyUrl } from './toxiproxy-server.ts';
import type { ProxyEndpoint, ServiceControl, ServiceName, ServiceStatus, StackEndpoints, StackProvider, TargetConfig } from './types.ts';

type Progress = (line: string) => void;
type Env = Readonly<Record<string, string | undefined>>;

const TARGET_MAIN = path.join(PACKAGE_ROOT, 'target', 'main.ts');
/** The target compiles TypeScript on start (tsx); give it room on a slow machine. */
const TARGET_START_TIMEOUT_MS = 20_000;
/** How long `up` waits for a target that answers to also report healthy. */
const TARGET_READY_WAIT_MS = 10_000;
/** Environment the stack sets itself (with each proxy's, e.g. DATABASE_URL); a scenario's env cannot override these. */
const STACK_OWNED_ENV: readonly string[] = [
  'DATABASE_URL',
  'PORT',
  'HOST',
  'CHAOSCTL_SABOTAGE',
  'TELEGRAM_API_ROOT',
  'YOOKASSA_API_URL',
  'CRYPTOPAY_API_URL',
  'BOT_TOKEN',
  'YOOKASSA_SHOP_ID',
  'YOOKASSA_SECRET_KEY',
  'CRYPTOPAY_TOKEN',
  'CONTROL_TOKEN',
];

export interface LocalStackOptions {
  /** Where stack.json and logs/ live; stateDir() (read at each call) when left out. */
  stateDir?: string;
  /** Environment read for DATABASE_URL and tool locations; process.env when left out. */
  env?: Env;
}

export class LocalStack implements StackProvider {
  readonly mode = 'local' as const;
  private readonly options: LocalStackOptions;

  constructor(options: LocalStackOptions = {}) {
    this.options = options;
  }

  async up(config: TargetConfig, progress: Progress = () => undefined): Promise<StackEndpoints> {
    const dir = this.dir();
    const logs = stackLogDir(dir);
    const state = (await readStackState(dir)) ?? emptyStackState();
    const save = (): Promise<void> => writeStackState(state, dir);

    state.postgres = await this.upPostgres(state, logs, progress, save);
    state.secrets ??= newSecrets();
    state.targetPort ??= state.target?.port ?? (await freePort());
    await save();
    state.sims = await this.upSims(state, state.secrets, state.targetPort, logs, progress, save);
    await save();
    const upstreams = upstreamsOf(state, state.postgres);
    state.toxiproxy = await this.upToxiproxy(state, upstreams, logs, progress, save);
    await save();
    const targetEnv = { ...proxyEnvFor(state.toxiproxy.proxies, upstreams), ...targetSecretEnv(state.secrets) };
    state.target = await this.upTarget(state.target, state.targetPort, normalizeConfig(withActiveMutant(config, this.env())), targetEnv, logs, progress);
    await save();

    const endpoints = endpointsOf(state);
    if (!endpoints) throw new ChaosError('CHAOSCTL_E_STATE', { file: stackStateFile(dir), detail: 'incomplete after up' });
    return endpoints;
  }

  async down(progress: Progress = () => undefined): Promise<void> {
    const dir = this.dir();
    const state = await readStackState(dir);
    if (!state) {
      progress('no stack recorded; nothing to stop');
      return;
    }
    const failures: string[] = [];
    const attempt = async (what: string, action: () => Promise<void>): Promise<boolean> => {
      try {
        await action();
        return true;
      } catch (error) {
        failures.push(`${what}: ${(error as Error).message}`);
        return false;
      }
    };

    // A paused postgres cannot shut down; thaw it before anything else.
    const pg = state.postgres;
    if (pg?.kind === 'throwaway') await attempt('resume postgres', () => new PostgresCluster(pg).resume());

    const target = state.target;
    if (target && (await attempt('stop target', () => stopRecorded(target.pid, TARGET_MAIN, 'target', progress)))) delete state.target;

    for (const name of SIM_NAMES) {
      const sim = state.sims?.[name];
      if (sim && (await attempt(`stop ${name} simulator`, () => stopRecorded(sim.pid, simMain(name), `${name} simulator`, progress)))) {
        if (state.sims) delete state.sims[name];
      }
    }

    const toxiproxy = state.toxiproxy;
    if (toxiproxy && (await attempt('stop toxiproxy', () => stopRecorded(toxiproxy.pid, toxiproxyMarker(toxiproxy), 'toxiproxy', progress)))) {
      delete state.toxiproxy;
    }

    if (pg?.kind === 'throwaway') {
      const removed = await attempt('remove postgres', async () => {
        await new PostgresCluster(pg).remove();
        progress(`postgres: stopped; removed ${pg.dataDir}`);
      });
      if (removed) delete state.postgres;
    } else if (pg) {
      progress(`postgres: external (${maskDatabaseUrl(pg.databaseUrl)}); left running`);
      delete state.postgres;
    }

    if (failures.length > 0) {
      await writeStackState(state, dir);
      throw new Error(`could not take the whole stack down; ${stackStateFile(dir)} keeps what is left:\n${failures.join('\n')}`);
    }
    await removeStackState(dir);
  }

  async status(): Promise<ServiceStatus[]> {
    const state = await readStackState(this.dir());
    if (!state) {
      const detail = 'no stack; `chaosctl up` starts one';
      return (['postgres', 'toxiproxy', ...SIM_NAMES, 'target'] as const).map((name) => ({ name, running: false, detail }));
    }
    return [
      await this.postgresStatus(state.postgres),
      await toxiproxyStatus(state.toxiproxy),
      ...SIM_NAMES.map((name) => simStatus(name, state.sims?.[name])),
      await targetStatus(state.target),
    ];
  }

  async endpoints(): Promise<StackEndpoints | null> {
    const state = await readStackState(this.dir());
    return state ? endpointsOf(state) : null;
  }

  service(name: ServiceName): ServiceControl {
    switch (name) {
      case 'postgres':
        return this.postgresControl();
      case 'toxiproxy':
        return serviceControl(() => this.toxiproxyService());
      case 'target':
        return serviceControl(() => this.targetService());
      case 'telegram':
      case 'yookassa':
      case 'cryptopay':
        return serviceControl(() => this.simService(name));
    }
  }

  private dir(): string {
    return this.options.stateDir ?? stateDir();
  }

  private env(): Env {
    return this.options.env ?? process.env;
  }

  private externalDatabaseUrl(): string | null {
    const url = this.env().DATABASE_URL?.trim();
    return url ? url : null;
  }

  // ---- postgres -------------------------------------------------------------

  private async upPostgres(state: StackState, logs: string, progress: Progress, save: () => Promise<void>): Promise<PostgresState> {
    const external = this.externalDatabaseUrl();
    const existing = state.postgres;
    const wanted = external ? 'external' : 'throwaway';
    if (existing && existing.kind !== wanted) {
      throw new ChaosError('CHAOSCTL_E_STACK_UP', {
        service: 'postgres',
        detail: `the running stack uses ${existing.kind} PostgreSQL but DATABASE_URL is ${external ? 'set' : 'unset'} now; run \`chaosctl down\` first`,
      });
    }

    if (external) {
      if (existing?.kind === 'external' && existing.databaseUrl !== external) {
        throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'postgres', detail: 'DATABASE_URL differs from the one the running stack uses; run `chaosctl down` first' });
      }
      if (!(await canConnect(external, 5000))) {
        throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'postgres', detail: `cannot connect to DATABASE_URL=${maskDatabaseUrl(external)}` });
      }
      progress(`postgres: external ${maskDatabaseUrl(external)}`);
      return { kind: 'external', databaseUrl: external };
    }

    if (existing?.kind === 'throwaway' && existsSync(path.join(existing.dataDir, 'PG_VERSION'))) {
      const cluster = new PostgresCluster(existing);
      const before = await cluster.state();
      await cluster.start();
      if (!(await canConnect(cluster.url))) {
        progress(`postgres: pid ${(await cluster.postmasterPid()) ?? '?'} does not answer; restarting`);
        await cluster.stop();
        await cluster.start();
      }
      const pid = await cluster.postmasterPid();
      progress(before === 'running' ? `postgres: reusing pid ${pid} on ${cluster.address}` : `postgres: ${before === 'paused' ? 'resumed' : 'started'} on ${cluster.address} (pid ${pid})`);
      return { ...existing, pid };
    }

    const binDir = await findPostgresBinDir(this.env());
    const cluster = await PostgresCluster.create({ binDir, port: await freePort(), logFile: path.join(logs, 'postgres.log'), progress });
    // Recorded before the start, so a failed start still leaves the data dir for `down` to remove.
    state.postgres = { kind: 'throwaway', ...cluster.info, pid: null };
    await save();
    await cluster.start();
    const pid = await cluster.postmasterPid();
    progress(`postgres: started on ${cluster.address} (pid ${pid}, log ${cluster.info.logFile})`);
    return { ...state.postgres, pid };
  }

  private postgresControl(): ServiceControl {
    const load = async (): Promise<ThrowawayPostgresState | { kind: 'external'; databaseUrl: string }> => {
      const state = await this.requireState();
      if (!state.postgres) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
      return state.postgres;
    };
    const cluster = async (operation: string): Promise<LocalService> => {
      const pg = await load();
      if (pg.kind === 'external') {
        throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', {
          operation: `${operation} postgres`,
          detail: `PostgreSQL is external (DATABASE_URL=${maskDatabaseUrl(pg.databaseUrl)}) and chaosctl does not manage it; use a toxiproxy fault on the postgres proxy instead`,
        });
      }
      return new RecordingCluster(pg, (pid) => this.updateState((s) => (s.postgres?.kind === 'throwaway' ? { ...s, postgres: { ...s.postgres, pid } } : s)));
    };
    const control = serviceControl(() => cluster('control'));
    const external = async (): Promise<string | null> => {
      const pg = await load().catch(() => null);
      return pg?.kind === 'external' ? pg.databaseUrl : null;
    };
    return {
      stop: async () => (await cluster('stop')).stop(),
      start: async () => (await cluster('start')).start(),
      restart: async () => {
        const c = await cluster('restart');
        await c.stop();
        await c.start();
      },
      pause: async () => (await cluster('pause')).pause(),
      resume: async () => (await cluster('resume')).resume(),
      kill: async () => (await cluster('kill')).kill(),
      isRunning: async () => {
        const url = await external();
        return url ? canConnect(url) : control.isRunning();
      },
      ensureRunning: async () => {
        const url = await external();
        if (url === null) return (await cluster('start')).start();
        // Nothing of ours can have stopped an external server; only report it.
        if (!(await canConnect(url))) {
          throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: 'start postgres', detail: `external PostgreSQL (${maskDatabaseUrl(url)}) does not answer and chaosctl does not manage it` });
        }
      },
    };
  }

  private async postgresStatus(pg: PostgresState | undefined): Promise<ServiceStatus> {
    if (!pg) return { name: 'postgres', running: false, detail: 'not started' };
    if (pg.kind === 'external') {
      const running = await canConnect(pg.databaseUrl);
      return { name: 'postgres', running, detail: `external ${maskDatabaseUrl(pg.databaseUrl)}${running ? '' : ' (not answering)'}` };
    }
    const cluster = new PostgresCluster(pg);
    const state = await cluster.state();
    const where = `127.0.0.1:${pg.port}, data ${pg.dataDir}, log ${pg.logFile}`;
    const pid = await cluster.postmasterPid();
    return { name: 'postgres', running: state === 'running', detail: `${describe(state, pid)}, ${where}` };
  }

  // ---- toxiproxy ------------------------------------------------------------

  private async upToxiproxy(state: StackState, upstreams: Upstreams, logs: string, progress: Progress, save: () => Promise<void>): Promise<ToxiproxyState> {
    const existing = state.toxiproxy;
    let current: ToxiproxyState;
    const livePid = existing && isOurProcess(existing.pid, toxiproxyMarker(existing)) ? existing.pid : null;

    if (existing && livePid !== null) {
      if (processState(livePid) === 'paused') {
        process.kill(livePid, 'SIGCONT');
        progress(`toxiproxy: resumed pid ${livePid}`);
      }
      if (await toxiproxyAnswers(existing.port)) {
        progress(`toxiproxy: reusing pid ${livePid} on 127.0.0.1:${existing.port}`);
        current = existing;
      } else {
        progress(`toxiproxy: pid ${livePid} does not answer; restarting`);
        await stopProcess(livePid);
        current = { ...existing, pid: await startToxiproxyServer({ ...existing, cwd: PACKAGE_ROOT }) };
        progress(`toxiproxy: started on 127.0.0.1:${existing.port} (pid ${current.pid})`);
      }
    } else {
      const binary = existing?.binary && existsSync(existing.binary) ? existing.binary : await resolveToxiproxyBinary(progress, this.env());
      const port = existing?.port ?? (await freePort());
      const logFile = path.join(logs, 'toxiproxy.log');
      const pid = await startToxiproxyServer({ binary, port, logFile, cwd: PACKAGE_ROOT });
      current = { binary, pid, port, logFile, proxies: existing?.proxies ?? {} };
      progress(`toxiproxy: started on 127.0.0.1:${port} (pid ${pid}, log ${logFile})`);
    }
    state.toxiproxy = current;
    await save();

    const proxies: Record<string, ProxyEndpoint> = {};
    for (const dependency of PROXIED_DEPENDENCIES) {
      const upstream = dependency.upstream(upstreams);
      if (upstream === null) continue;
      const listen = current.proxies[dependency.name]?.listen ?? `127.0.0.1:${await freePort()}`;
      proxies[dependency.name] = { name: dependency.name, listen, upstream };
    }
    try {
      await syncProxies(current.port, Object.values(proxies));
    } catch (error) {
      throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'toxiproxy', detail: `could not create its proxies: ${(error as Error).message}` }, { cause: error });
    }
    for (const proxy of Object.values(proxies)) progress(`toxiproxy: proxy ${proxy.name} ${proxy.listen} → ${proxy.upstream}`);
    return { ...current, proxies };
  }

  private async toxiproxyService(): Promise<LocalService> {
    const state = await this.requireState();
    const recorded = state.toxiproxy;
    if (!recorded) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
    const livePid = async (): Promise<number | null> => {
      const now = (await readStackState(this.dir()))?.toxiproxy ?? recorded;
      return isOurProcess(now.pid, toxiproxyMarker(now)) ? now.pid : null;
    };
    const launch = async (): Promise<void> => {
      const pid = await startToxiproxyServer({ ...recorded, cwd: PACKAGE_ROOT });
      await this.updateState((s) => (s.toxiproxy ? { ...s, toxiproxy: { ...s.toxiproxy, pid } } : s));
      try {
        await syncProxies(recorded.port, Object.values(recorded.proxies));
      } catch (error) {
        throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'toxiproxy', detail: `could not recreate its proxies: ${(error as Error).message}` }, { cause: error });
      }
    };
    return new SingleProcessService('toxiproxy', livePid, launch);
  }

  // ---- target ---------------------------------------------------------------

  private async upTarget(
    existing: TargetState | undefined,
    port: number,
    config: TargetConfig,
    proxyEnv: Record<string, string>,
    logs: string,
    progress: Progress,
  ): Promise<TargetState> {
    if (!proxyEnv.DATABASE_URL) throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'target', detail: 'toxiproxy has no postgres proxy' });
    const livePid = existing && isOurProcess(existing.pid, TARGET_MAIN) ? existing.pid : null;

    if (existing && livePid !== null) {
      if (processState(livePid) === 'paused') {
        process.kill(livePid, 'SIGCONT');
        progress(`target: resumed pid ${livePid}`);
      }
      const sameConfig = sameTargetConfig(existing.config, config) && JSON.stringify(existing.proxyEnv) === JSON.stringify(proxyEnv);
      if (sameConfig && (await waitForHttp(`${targetUrl(existing.port)}/health`, { timeoutMs: 2000 })) !== null) {
        progress(`target: reusing pid ${livePid} at ${targetUrl(existing.port)}`);
        return existing;
      }
      progress(sameConfig ? `target: pid ${livePid} does not answer; restarting` : `target: config changed (${describeConfigChange(existing.config, config)}); restarting`);
      await stopProcess(livePid);
    }

    const next: TargetState = {
      pid: 0,
      port,
      logFile: existing?.logFile ?? path.join(logs, 'target.log'),
      config,
      proxyEnv,
    };
    next.pid = await launchTarget(next);
    progress(`target: started at ${targetUrl(next.port)} (pid ${next.pid}, sabotage: ${config.sabotage.join(',') || 'none'}, log ${next.logFile})`);
    return next;
  }

  private async targetService(): Promise<LocalService> {
    const state = await this.requireState();
    const recorded = state.target;
    if (!recorded) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
    const livePid = async (): Promise<number | null> => {
      const now = (await readStackState(this.dir()))?.target ?? recorded;
      return isOurProcess(now.pid, TARGET_MAIN) ? now.pid : null;
    };
    const launch = async (): Promise<void> => {
      const pid = await launchTarget(recorded);
      await this.updateState((s) => (s.target ? { ...s, target: { ...s.target, pid } } : s));
    };
    return new SingleProcessService('target', livePid, launch);
  }

  // ---- simulators -----------------------------------------------------------

  private async upSims(
    state: StackState,
    secrets: NonNullable<StackState['secrets']>,
    targetPort: number,
    logs: string,
    progress: Progress,
    save: () => Promise<void>,
  ): Promise<NonNullable<StackState['sims']>> {
    const sims: NonNullable<StackState['sims']> = { ...state.sims };
    for (const name of SIM_NAMES) {
      const existing = sims[name];
      const live = existing && isOurProcess(existing.pid, simMain(name)) ? existing.pid : null;
      if (existing && live !== null) {
        if (processState(live) === 'paused') process.kill(live, 'SIGCONT');
        progress(`${name} simulator: reusing pid ${live} at ${simUrl(existing.port)}`);
        continue;
      }
      const port = existing?.port ?? (await freePort());
      const logFile = existing?.logFile ?? path.join(logs, `${name}-sim.log`);
      const pid = await launchSim(name, port, simEnv(name, port, secrets, targetUrl(targetPort)), logFile);
      sims[name] = { pid, port, logFile };
      state.sims = sims;
      await save();
      progress(`${name} simulator: started at ${simUrl(port)} (pid ${pid}, log ${logFile})`);
    }
    return sims;
  }

  private async simService(name: SimName): Promise<LocalService> {
    const state = await this.requireState();
    const recorded = state.sims?.[name];
    const secrets = state.secrets;
    if (!recorded || !secrets || state.targetPort === undefined) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
    const targetPort = state.targetPort;
    const livePid = async (): Promise<number | null> => {
      const now = (await readStackState(this.dir()))?.sims?.[name] ?? recorded;
      return isOurProcess(now.pid, simMain(name)) ? now.pid : null;
    };
    const launch = async (): Promise<void> => {
      const pid = await launchSim(name, recorded.port, simEnv(name, recorded.port, secrets, targetUrl(targetPort)), recorded.logFile);
      await this.updateState((s) => (s.sims?.[name] ? { ...s, sims: { ...s.sims, [name]: { ...recorded, pid } } } : s));
    };
    return new SingleProcessService(name, livePid, launch);
  }

  // ---- state ----------------------------------------------------------------

  private async requireState(): Promise<StackState> {
    const state = await readStackState(this.dir());
    if (!state) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
    return state;
  }

  private async updateState(change: (state: StackState) => StackState): Promise<void> {
    const state = await this.requireState();
    await writeStackState(change(state), this.dir());
  }
}

/** A PostgresCluster that records the postmaster's new pid in stack.json after each start. */
class RecordingCluster implements LocalService {
  private readonly cluster: PostgresCluster;
  private readonly record: (pid: number | null) => Promise<void>;

  constructor(state: ThrowawayPostgresState, record: (pid: number | null) => Promise<void>) {
    this.cluster = new PostgresCluster(state);
    this.record = record;
  }

  state(): Promise<RunState> {
    return this.cluster.state();
  }

  async start(): Promise<void> {
    await this.cluster.start();
    await this.record(await this.cluster.postmasterPid());
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }

  pause(): Promise<void> {
    return this.cluster.pause();
  }

  resume(): Promise<void> {
    return this.cluster.resume();
  }

  kill(): Promise<void> {
    return this.cluster.kill();
  }
}

/** Spawns the target with `state`'s config and port and waits until GET /health answers (any status). */
async function launchTarget(state: TargetState): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...TARGET_DEFAULT_ENV, ...state.config.env };
  // The test runner's marker must not make the target behave like a test file.
  delete env.NODE_TEST_CONTEXT;
  Object.assign(env, state.proxyEnv, { PORT: String(state.port), HOST: '127.0.0.1', CHAOSCTL_SABOTAGE: state.config.sabotage.join(',') });

  const pid = spawnDetached(process.execPath, ['--import', 'tsx', TARGET_MAIN], { cwd: PACKAGE_ROOT, env, logFile: state.logFile });
  const status = await waitForHttp(`${targetUrl(state.port)}/health`, {
    timeoutMs: TARGET_START_TIMEOUT_MS,
    stillAlive: () => processState(pid) !== 'gone',
  });
  if (status === null) {
    const exited = processState(pid) === 'gone';
    await stopProcess(pid, 1000).catch(() => undefined);
    const tail = await tailOfFile(state.logFile);
    throw new ChaosError('CHAOSCTL_E_STACK_UP', {
      service: 'target',
      detail: `${exited ? 'it exited' : `GET /health did not answer within ${TARGET_START_TIMEOUT_MS / 1000} s`}${tail ? `; ${state.logFile} ends with:\n${tail}` : ''}`,
    });
  }
  // Answering is not the same as ready: the target migrates the database and starts its
  // scheduler and bot after it listens. Give it a bounded moment to report healthy; a
  // target that stays unhealthy (a sabotaged one, a database left down) is still "up".
  await waitUntil(async () => (await httpStatus(`${targetUrl(state.port)}/health`, 1000)) === 200, TARGET_READY_WAIT_MS, 100);
  return pid;
}

async function stopRecorded(pid: number, marker: string, name: string, progress: Progress): Promise<void> {
  if (!isOurProcess(pid, marker)) {
    progress(`${name}: not running`);
    return;
  }
  const how = await stopProcess(pid);
  progress(`${name}: stopped pid ${pid}${how === 'killed' ? ' (SIGKILL after 5 s)' : ''}`);
}

async function toxiproxyStatus(tp: ToxiproxyState | undefined): Promise<ServiceStatus> {
  if (!tp) return { name: 'toxiproxy', running: false, detail: 'not started' };
  const pid = isOurProcess(tp.pid, toxiproxyMarker(tp)) ? tp.pid : null;
  const state = runStateOf(pid);
  const proxies = Object.values(tp.proxies)
    .map((p) => `${p.name} ${p.listen} → ${p.upstream}`)
    .join(', ');
  return { name: 'toxiproxy', running: state === 'running', detail: `${describe(state, pid)}, api ${toxiproxyUrl(tp.port)}, proxies: ${proxies || 'none'}` };
}

async function targetStatus(target: TargetState | undefined): Promise<ServiceStatus> {
  if (!target) return { name: 'target', running: false, detail: 'not started' };
  const pid = isOurProcess(target.pid, TARGET_MAIN) ? target.pid : null;
  const state = runStateOf(pid);
  return {
    name: 'target',
    running: state === 'running',
    detail: `${describe(state, pid)}, ${targetUrl(target.port)}, sabotage: ${target.config.sabotage.join(',') || 'none'}, log ${target.logFile}`,
  };
}

function runStateOf(pid: number | null): RunState {
  if (pid === null) return 'stopped';
  return processState(pid) === 'paused' ? 'paused' : 'running';
}

function describe(state: RunState, pid: number | null): string {
  return state === 'stopped' ? 'stopped' : `${state === 'paused' ? 'paused' : 'running'}, pid ${pid}`;
}

/** The stack's view of itself once all three parts are recorded. */
function endpointsOf(state: StackState): StackEndpoints | null {
  if (!state.postgres || !state.toxiproxy || !state.target) return null;
  return {
    targetUrl: targetUrl(state.target.port),
    toxiproxyUrl: toxiproxyUrl(state.toxiproxy.port),
    databaseUrl: directDatabaseUrl(state.postgres),
    proxies: { ...state.toxiproxy.proxies },
    sims: Object.fromEntries(SIM_NAMES.flatMap((name) => (state.sims?.[name] ? [[name, simUrl(state.sims[name].port)]] : []))),
    ...(state.secrets
      ? {
          controlToken: state.secrets.controlToken,
          secrets: { yookassaShopId: state.secrets.yookassaShopId, yookassaSecretKey: state.secrets.yookassaSecretKey, cryptopayToken: state.secrets.cryptopayToken },
        }
      : {}),
  };
}

/** Where every real dependency listens, for the proxies in front of them. */
function upstreamsOf(state: StackState, pg: PostgresState): Upstreams {
  const sims: Upstreams['sims'] = {};
  for (const name of SIM_NAMES) {
    const sim = state.sims?.[name];
    if (sim) sims[name] = `127.0.0.1:${sim.port}`;
  }
  return { postgresUrl: directDatabaseUrl(pg), sims };
}

function simStatus(name: SimName, sim: SimState | undefined): ServiceStatus {
  if (!sim) return { name, running: false, detail: 'not started' };
  const pid = isOurProcess(sim.pid, simMain(name)) ? sim.pid : null;
  const state = runStateOf(pid);
  return { name, running: state === 'running', detail: `${describe(state, pid)}, simulator at ${simUrl(sim.port)}, log ${sim.logFile}` };
}

function directDatabaseUrl(pg: PostgresState): string {
  return pg.kind === 'external' ? pg.databaseUrl : new PostgresCluster(pg).url;
}

function targetUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

/** Identifies our toxiproxy server among processes: its binary and its API port. */
function toxiproxyMarker(tp: Pick<ToxiproxyState, 'binary' | 'port'>): string {
  return `${tp.binary} -host 127.0.0.1 -port ${tp.port}`;
}

/** Sorted, de-duplicated sabotage and stack-owned env keys dropped, so equal configs compare equal. */
function normalizeConfig(config: TargetConfig): TargetConfig {
  const env: Record<string, string> = {};
  for (const key of Object.keys(config.env).sort()) {
    if (STACK_OWNED_ENV.includes(key)) continue;
    const value = config.env[key];
    if (value !== undefined) env[key] = value;
  }
  return { env, sabotage: [...new Set(config.sabotage)].sort() };
}

function sameTargetConfig(a: TargetConfig, b: TargetConfig): boolean {
  return JSON.stringify(normalizeConfig(a)) === JSON.stringify(normalizeConfig(b));
}

function describeConfigChange(from: TargetConfig, to: TargetConfig): string {
  const parts: string[] = [];
  const sabotage = (c: TargetConfig): string => c.sabotage.join(',') || 'none';
  if (sabotage(from) !== sabotage(to)) parts.push(`sabotage ${sabotage(from)} → ${sabotage(to)}`);
  const keys = new Set([...Object.keys(from.env), ...Object.keys(to.env)]);
  const changed = [...keys].filter((key) => from.env[key] !== to.env[key]).sort();
  if (changed.length > 0) parts.push(`env ${changed.join(', ')}`);
  return parts.join('; ') || 'proxy addresses';
}
