/**
 * The local stack: PostgreSQL (a throwaway cluster, or the server in
 * DATABASE_URL), a Toxiproxy server and the target, each a detached child
 * process that outlives the chaosctl process that started it. What runs is
 * recorded in <stateDir>/stack.json so later chaosctl processes find it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ChaosError } from '../core/errors.ts';
import { PACKAGE_ROOT, stateDir } from '../paths.ts';
import { maskDatabaseUrl } from '../../target/config.ts';
import { withActiveMutant } from './active-mutant.ts';
import { serviceControl, SingleProcessService } from './child-service.ts';
import type { LocalService, RunState } from './child-service.ts';
import { freePort } from './free-port.ts';
import { findHaproxy, haproxyMarker, startHaproxy } from './haproxy.ts';
import { findRedisServerBinary, redisAnswers, redisMarker, redisUrl, startRedisServer } from './redis-server.ts';
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
import type { HaproxyState, PostgresState, RedisState, SimState, StackState, TargetState, ThrowawayPostgresState, ToxiproxyState } from './state-file.ts';
import { resolveToxiproxyBinary } from './toxiproxy-binary.ts';
import { allOf } from './service-group.ts';
import { normalizeTargetConfig } from './target-config.ts';
import { launchSim, newSecrets, scaleOutTargetEnv, SIM_NAMES, simEnv, simMain, simUrl, TARGET_DEFAULT_ENV, targetSecretEnv, targetTlsEnv, type SimName } from './simulators.ts';
import { ensureStackTls, removeStackTls, stackTlsFiles } from './stack-tls.ts';
import { startToxiproxyServer, syncProxies, toxiproxyAnswers, toxiproxyUrl } from './toxiproxy-server.ts';
import type { ProxyEndpoint, ServiceControl, ServiceName, ServiceStatus, StackEndpoints, StackProvider, TargetConfig } from './types.ts';

type Progress = (line: string) => void;
type Env = Readonly<Record<string, string | undefined>>;

const TARGET_MAIN = path.join(PACKAGE_ROOT, 'target', 'main.ts');
/** The target compiles TypeScript on start (tsx); give it room on a slow machine. */
const TARGET_START_TIMEOUT_MS = 20_000;
/** How long `up` waits for a target that answers to also report healthy. */
const TARGET_READY_WAIT_MS = 10_000;
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
    const tls = await ensureStackTls(dir, this.env());
    state.sims = await this.upSims(state, state.secrets, state.targetPort, logs, progress, save);
    await save();
    const upstreams = upstreamsOf(state, state.postgres);
    state.toxiproxy = await this.upToxiproxy(state, upstreams, logs, progress, save);
    await save();
    const targetEnv = { ...proxyEnvFor(state.toxiproxy.proxies, upstreams), ...targetSecretEnv(state.secrets), ...targetTlsEnv(tls) };
    await this.upTargets(state, normalizeTargetConfig(withActiveMutant(config, this.env()), 'local'), targetEnv, logs, progress, save);

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

    const haproxy = state.haproxy;
    if (haproxy && (await attempt('stop haproxy', () => stopRecorded(haproxy.pid, haproxyMarker(haproxy.binary, haproxy.configFile), 'haproxy', progress)))) {
      delete state.haproxy;
    }

    const target = state.target;
    if (target && (await attempt('stop target', () => stopRecorded(target.pid, TARGET_MAIN, 'target', progress)))) delete state.target;
    for (const [index, more] of (state.moreTargets ?? []).entries()) {
      await attempt(`stop target instance ${index + 2}`, () => stopRecorded(more.pid, TARGET_MAIN, `target instance ${index + 2}`, progress));
    }
    if (state.moreTargets && failures.length === 0) delete state.moreTargets;

    const redis = state.redis;
    if (redis && (await attempt('stop redis', () => stopRecorded(redis.pid, redisMarker(redis.port), 'redis', progress)))) delete state.redis;

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
    await removeStackTls(dir);
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
      await targetStatus(state),
    ];
  }

  async endpoints(): Promise<StackEndpoints | null> {
    const state = await readStackState(this.dir());
    return state ? endpointsOf(state) : null;
  }

  service(name: ServiceName, instance?: number): ServiceControl {
    if (instance !== undefined && name !== 'target') {
      throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: `instance ${instance} of ${name}`, detail: 'only the target runs as several instances' });
    }
    if (name === 'target' && instance !== undefined) return serviceControl(() => this.targetService(instance));
    switch (name) {
      case 'postgres':
        return this.postgresControl();
      case 'toxiproxy':
        return serviceControl(() => this.toxiproxyService());
      case 'target':
        return this.allTargetsControl();
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

  /**
   * Brings the target to `config`: one process on the stack's target port (as
   * always), or with instances > 1 that many processes on their own ports
   * behind HAProxy, which then holds the target port, plus a Redis for their
   * shared rate limit. Instances get Telegram updates by webhook (through
   * HAProxy) instead of each polling, which Telegram would refuse.
   */
  private async upTargets(
    state: StackState,
    config: TargetConfig,
    baseEnv: Record<string, string>,
    logs: string,
    progress: Progress,
    save: () => Promise<void>,
  ): Promise<void> {
    const frontPort = state.targetPort;
    if (frontPort === undefined) throw new ChaosError('CHAOSCTL_E_STATE', { file: stackStateFile(this.dir()), detail: 'no target port reserved' });
    const count = config.instances ?? 1;

    if (count === 1) {
      // Back to one process: HAProxy gives the target port back, the extra instances and Redis go.
      await this.stopHaproxy(state, progress, save);
      await this.stopMoreTargets(state, 0, progress, save);
      state.target = await this.upTarget(state.target, frontPort, config, baseEnv, path.join(logs, 'target.log'), 'target', progress);
      await save();
      await this.stopRedis(state, progress, save);
      return;
    }

    state.redis = await this.upRedis(state.redis, logs, progress);
    await save();
    state.secrets ??= newSecrets();
    state.secrets.webhookSecret ??= randomBytes(24).toString('hex');
    await save();
    const env = { ...baseEnv, ...scaleOutTargetEnv(targetUrl(frontPort), redisUrl(state.redis.port), state.secrets.webhookSecret) };
    await this.stopMoreTargets(state, count - 1, progress, save);
    const existing = [state.target, ...(state.moreTargets ?? [])];
    // An instance never listens on the target port: that is HAProxy's once there are several.
    const ports: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const recorded = existing[i]?.port;
      ports.push(recorded !== undefined && recorded !== frontPort && !ports.includes(recorded) ? recorded : await freePort());
    }
    // Started side by side: each compiles TypeScript first, and migrations take turns on an advisory lock.
    const instances = await Promise.all(
      ports.map((port, i) =>
        this.upTarget(existing[i], port, config, env, path.join(logs, i === 0 ? 'target.log' : `target-${i + 1}.log`), `target instance ${i + 1}`, progress),
      ),
    );
    state.target = instances[0];
    state.moreTargets = instances.slice(1);
    await save();
    state.haproxy = await this.upHaproxy(state.haproxy, frontPort, ports, logs, progress);
    await save();
  }

  private async upTarget(
    existing: TargetState | undefined,
    port: number,
    config: TargetConfig,
    proxyEnv: Record<string, string>,
    logFile: string,
    label: string,
    progress: Progress,
  ): Promise<TargetState> {
    if (!proxyEnv.DATABASE_URL) throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'target', detail: 'toxiproxy has no postgres proxy' });
    const livePid = existing && isOurProcess(existing.pid, TARGET_MAIN) ? existing.pid : null;

    if (existing && livePid !== null) {
      if (processState(livePid) === 'paused') {
        process.kill(livePid, 'SIGCONT');
        progress(`${label}: resumed pid ${livePid}`);
      }
      const sameConfig = sameTargetConfig(existing.config, config) && JSON.stringify(existing.proxyEnv) === JSON.stringify(proxyEnv) && existing.port === port;
      if (sameConfig && (await waitForHttp(`${targetUrl(existing.port)}/health`, { timeoutMs: 2000 })) !== null) {
        progress(`${label}: reusing pid ${livePid} at ${targetUrl(existing.port)}`);
        return existing;
      }
      progress(sameConfig ? `${label}: pid ${livePid} does not answer; restarting` : `${label}: config changed (${describeConfigChange(existing.config, config, existing.port !== port)}); restarting`);
      await stopProcess(livePid);
    }

    const next: TargetState = {
      pid: 0,
      port,
      logFile: existing?.logFile ?? logFile,
      config,
      proxyEnv,
    };
    next.pid = await launchTarget(next);
    progress(`${label}: started at ${targetUrl(next.port)} (pid ${next.pid}, sabotage: ${config.sabotage.join(',') || 'none'}, log ${next.logFile})`);
    return next;
  }

  /** Stops the instances past the first `keep` extra ones (all extra ones with 0). */
  private async stopMoreTargets(state: StackState, keep: number, progress: Progress, save: () => Promise<void>): Promise<void> {
    const more = state.moreTargets ?? [];
    for (const [index, instance] of more.entries()) {
      if (index < keep) continue;
      await stopRecorded(instance.pid, TARGET_MAIN, `target instance ${index + 2}`, progress);
    }
    if (more.length > keep) {
      state.moreTargets = more.slice(0, keep);
      if (state.moreTargets.length === 0) delete state.moreTargets;
      await save();
    }
  }

  private async upRedis(existing: RedisState | undefined, logs: string, progress: Progress): Promise<RedisState> {
    if (existing && isOurProcess(existing.pid, redisMarker(existing.port)) && (await redisAnswers(existing.port, 1000))) {
      progress(`redis: reusing pid ${existing.pid} on 127.0.0.1:${existing.port}`);
      return existing;
    }
    const binary = existing?.binary && existsSync(existing.binary) ? existing.binary : findRedisServerBinary(this.env());
    const port = existing?.port ?? (await freePort());
    const logFile = existing?.logFile ?? path.join(logs, 'redis.log');
    const pid = await startRedisServer({ binary, port, logFile, cwd: path.dirname(logFile) });
    progress(`redis: started on 127.0.0.1:${port} (pid ${pid}, log ${logFile})`);
    return { binary, pid, port, logFile };
  }

  private async stopRedis(state: StackState, progress: Progress, save: () => Promise<void>): Promise<void> {
    const redis = state.redis;
    if (!redis) return;
    await stopRecorded(redis.pid, redisMarker(redis.port), 'redis', progress);
    delete state.redis;
    await save();
  }

  private async upHaproxy(existing: HaproxyState | undefined, frontPort: number, backends: number[], logs: string, progress: Progress): Promise<HaproxyState> {
    const live = existing && isOurProcess(existing.pid, haproxyMarker(existing.binary, existing.configFile)) ? existing.pid : null;
    if (existing && live !== null) {
      if (processState(live) === 'paused') process.kill(live, 'SIGCONT');
      if (existing.port === frontPort && JSON.stringify(existing.backends) === JSON.stringify(backends)) {
        progress(`haproxy: reusing pid ${live} on 127.0.0.1:${frontPort}`);
        return existing;
      }
      await stopProcess(live);
    }
    const binary = existing?.binary && existsSync(existing.binary) ? existing.binary : findHaproxy(this.env());
    const configFile = existing?.configFile ?? path.join(logs, 'haproxy.cfg');
    const logFile = existing?.logFile ?? path.join(logs, 'haproxy.log');
    const pid = await startHaproxy({
      binary,
      configFile,
      logFile,
      cwd: PACKAGE_ROOT,
      frontPort,
      backends: backends.map((port, i) => ({ name: `target${i + 1}`, port })),
    });
    progress(`haproxy: started on 127.0.0.1:${frontPort} → ${backends.map((p) => `127.0.0.1:${p}`).join(', ')} (pid ${pid}, config ${configFile})`);
    return { binary, pid, port: frontPort, configFile, logFile, backends };
  }

  private async stopHaproxy(state: StackState, progress: Progress, save: () => Promise<void>): Promise<void> {
    const haproxy = state.haproxy;
    if (!haproxy) return;
    await stopRecorded(haproxy.pid, haproxyMarker(haproxy.binary, haproxy.configFile), 'haproxy', progress);
    delete state.haproxy;
    await save();
  }

  /**
   * One target process. Instance 1 is state.target; instance k > 1 is
   * moreTargets[k - 2]. Without a number the stack must run one process.
   */
  private async targetService(instance = 1): Promise<LocalService> {
    const state = await this.requireState();
    if (!state.target) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
    const count = 1 + (state.moreTargets?.length ?? 0);
    if (!Number.isInteger(instance) || instance < 1 || instance > count) {
      throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: `a fault on target instance ${instance}`, detail: `the target runs ${count} instance${count === 1 ? '' : 's'}` });
    }
    const pick = (s: StackState | null): TargetState | undefined => (instance === 1 ? s?.target : s?.moreTargets?.[instance - 2]);
    const recorded = pick(state);
    if (!recorded) throw new ChaosError('CHAOSCTL_E_STACK_DOWN');
    const livePid = async (): Promise<number | null> => {
      const now = pick(await readStackState(this.dir())) ?? recorded;
      return isOurProcess(now.pid, TARGET_MAIN) ? now.pid : null;
    };
    const launch = async (): Promise<void> => {
      const pid = await launchTarget(recorded);
      await this.updateState((s) => {
        if (instance === 1) return s.target ? { ...s, target: { ...s.target, pid } } : s;
        const more = [...(s.moreTargets ?? [])];
        const current = more[instance - 2];
        if (current) more[instance - 2] = { ...current, pid };
        return { ...s, moreTargets: more };
      });
    };
    return new SingleProcessService('target', livePid, launch);
  }

  /** `service: target` without an instance: every instance at once (the one process when there is one). */
  private allTargetsControl(): ServiceControl {
    return allOf(async () => {
      const state = await this.readState();
      const count = 1 + (state?.moreTargets?.length ?? 0);
      return Array.from({ length: count }, (_, i) => serviceControl(() => this.targetService(i + 1)));
    });
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
      const pid = await launchSim(name, port, simEnv(name, port, secrets, targetUrl(targetPort), stackTlsFiles(this.dir())), logFile);
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
      const pid = await launchSim(name, recorded.port, simEnv(name, recorded.port, secrets, targetUrl(targetPort), stackTlsFiles(this.dir())), recorded.logFile);
      await this.updateState((s) => (s.sims?.[name] ? { ...s, sims: { ...s.sims, [name]: { ...recorded, pid } } } : s));
    };
    return new SingleProcessService(name, livePid, launch);
  }

  // ---- state ----------------------------------------------------------------

  private readState(): Promise<StackState | null> {
    return readStackState(this.dir());
  }

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

async function targetStatus(state: StackState): Promise<ServiceStatus> {
  const target = state.target;
  if (!target) return { name: 'target', running: false, detail: 'not started' };
  const instances = [target, ...(state.moreTargets ?? [])];
  const states = instances.map((instance) => {
    const pid = isOurProcess(instance.pid, TARGET_MAIN) ? instance.pid : null;
    return { instance, pid, state: runStateOf(pid) };
  });
  const sabotage = `sabotage: ${target.config.sabotage.join(',') || 'none'}`;
  if (instances.length === 1) {
    const only = states[0];
    return {
      name: 'target',
      running: only?.state === 'running',
      detail: `${describe(only?.state ?? 'stopped', only?.pid ?? null)}, ${targetUrl(target.port)}, ${sabotage}, log ${target.logFile}`,
    };
  }
  const haproxy = state.haproxy;
  const haproxyPid = haproxy && isOurProcess(haproxy.pid, haproxyMarker(haproxy.binary, haproxy.configFile)) ? haproxy.pid : null;
  const redis = state.redis;
  const redisPid = redis && isOurProcess(redis.pid, redisMarker(redis.port)) ? redis.pid : null;
  const parts = states.map((s, i) => `instance ${i + 1}: ${describe(s.state, s.pid)}, ${targetUrl(s.instance.port)}`);
  return {
    name: 'target',
    running: states.every((s) => s.state === 'running') && haproxyPid !== null,
    detail: [
      `${instances.length} instances behind haproxy ${haproxy ? `${describe(runStateOf(haproxyPid), haproxyPid)}, ${targetUrl(haproxy.port)}` : 'not started'}`,
      ...parts,
      `redis ${redis ? `${describe(runStateOf(redisPid), redisPid)}, ${redisUrl(redis.port)}` : 'not started'}`,
      sabotage,
    ].join('; '),
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
  const more = state.moreTargets ?? [];
  return {
    targetUrl: targetUrl(more.length > 0 && state.targetPort !== undefined ? state.targetPort : state.target.port),
    ...(more.length > 0 ? { targetInstanceUrls: [state.target, ...more].map((t) => targetUrl(t.port)) } : {}),
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

function sameTargetConfig(a: TargetConfig, b: TargetConfig): boolean {
  return JSON.stringify(normalizeTargetConfig(a, 'local')) === JSON.stringify(normalizeTargetConfig(b, 'local'));
}

function describeConfigChange(from: TargetConfig, to: TargetConfig, portChanged = false): string {
  const parts: string[] = [];
  if ((from.instances ?? 1) !== (to.instances ?? 1)) parts.push(`instances ${from.instances ?? 1} → ${to.instances ?? 1}`);
  if (portChanged) parts.push('port');
  const sabotage = (c: TargetConfig): string => c.sabotage.join(',') || 'none';
  if (sabotage(from) !== sabotage(to)) parts.push(`sabotage ${sabotage(from)} → ${sabotage(to)}`);
  const keys = new Set([...Object.keys(from.env), ...Object.keys(to.env)]);
  const changed = [...keys].filter((key) => from.env[key] !== to.env[key]).sort();
  if (changed.length > 0) parts.push(`env ${changed.join(', ')}`);
  return parts.join('; ') || 'proxy addresses';
}
