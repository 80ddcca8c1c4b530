/**
 * A throwaway PostgreSQL cluster: initdb into a fresh temporary directory,
 * pg_ctl to start and stop it, signals to pause and kill it. PostgreSQL
 * refuses to run as root, so as root every tool runs as the `postgres` user
 * through runuser, in a directory that user owns.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ChaosError } from '../core/errors.ts';
import { childPids, findOnPath, isExecutable, isOurProcess, processState, runTool, sendSignal, waitUntil } from './processes.ts';

const execFileAsync = promisify(execFile);

/** mkdtemp prefix; `remove()` deletes only directories named like this. */
const DATA_DIR_PREFIX = 'chaosctl-pg-';
const INSTALL_HINT = '`apt-get install postgresql` (Debian) or set DATABASE_URL';

export type ClusterState = 'running' | 'paused' | 'stopped';

/** Everything needed to act on a cluster again from another chaosctl process. */
export interface ClusterInfo {
  binDir: string;
  dataDir: string;
  port: number;
  /** Output of initdb, pg_ctl and the server. */
  logFile: string;
}

/**
 * The directory holding initdb and pg_ctl: $CHAOSCTL_PG_BIN, else
 * `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin, else PATH.
 */
export async function findPostgresBinDir(env: Readonly<Record<string, string | undefined>> = process.env): Promise<string> {
  const hasTools = (dir: string): boolean => isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'pg_ctl'));

  const configured = env.CHAOSCTL_PG_BIN;
  if (configured) {
    if (hasTools(configured)) return configured;
    throw new ChaosError('CHAOSCTL_E_TOOL_MISSING', { tool: 'PostgreSQL', detail: `CHAOSCTL_PG_BIN=${configured} holds no initdb and pg_ctl; fix it, or ${INSTALL_HINT}` });
  }

  const pgConfig = findOnPath('pg_config', env.PATH);
  if (pgConfig) {
    try {
      const { stdout } = await execFileAsync(pgConfig, ['--bindir'], { timeout: 5000 });
      const dir = stdout.trim();
      if (dir && hasTools(dir)) return dir;
    } catch {
      // A broken pg_config is just one place less to look.
    }
  }

  const debianRoot = '/usr/lib/postgresql';
  try {
    const versions = (await readdir(debianRoot)).filter((name) => /^\d+(\.\d+)?$/.test(name)).sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = path.join(debianRoot, version, 'bin');
      if (hasTools(dir)) return dir;
    }
  } catch {
    // Not a Debian-style layout.
  }

  const initdb = findOnPath('initdb', env.PATH);
  if (initdb && hasTools(path.dirname(initdb))) return path.dirname(initdb);

  throw new ChaosError('CHAOSCTL_E_TOOL_MISSING', { tool: 'PostgreSQL (initdb, pg_ctl)', detail: INSTALL_HINT });
}

interface PostgresUser {
  uid: number;
  gid: number;
  runuser: string;
}

/** As root: the `postgres` account the tools must run as. Otherwise null: they run as us. */
async function postgresUser(): Promise<PostgresUser | null> {
  if (process.getuid?.() !== 0) return null;
  const runuser = findOnPath('runuser');
  if (!runuser) {
    throw new ChaosError('CHAOSCTL_E_TOOL_MISSING', { tool: 'runuser', detail: 'PostgreSQL refuses to run as root and runuser (util-linux) is missing to run it as `postgres`; or set DATABASE_URL' });
  }
  try {
    const { stdout } = await execFileAsync('getent', ['passwd', 'postgres'], { timeout: 5000 });
    const [, , uid, gid] = stdout.trim().split(':');
    if (uid !== undefined && gid !== undefined && /^\d+$/.test(uid) && /^\d+$/.test(gid)) return { uid: Number(uid), gid: Number(gid), runuser };
  } catch {
    // Reported below.
  }
  throw new ChaosError('CHAOSCTL_E_TOOL_MISSING', {
    tool: 'the postgres system user',
    detail: `PostgreSQL refuses to run as root and there is no \`postgres\` user to run it as; ${INSTALL_HINT}`,
  });
}

/** Connects, runs SELECT 1, disconnects: true when all of that works within `timeoutMs`. */
export async function canConnect(databaseUrl: string, timeoutMs = 2000): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface CreateClusterOptions {
  binDir: string;
  port: number;
  logFile: string;
  progress?: (line: string) => void;
}

export class PostgresCluster {
  readonly info: ClusterInfo;

  constructor(info: ClusterInfo) {
    this.info = info;
  }

  /** initdb into a new directory under os.tmpdir(); the cluster is not started. */
  static async create(options: CreateClusterOptions): Promise<PostgresCluster> {
    const user = await postgresUser();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), DATA_DIR_PREFIX));
    if (user) await chown(dataDir, user.uid, user.gid);
    const cluster = new PostgresCluster({ binDir: options.binDir, dataDir, port: options.port, logFile: options.logFile });
    options.progress?.(`postgres: initdb in ${dataDir}`);
    try {
      await cluster.run(user, 'initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'], 120_000);
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true });
      throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'postgres', detail: `initdb failed: ${(error as Error).message}` }, { cause: error });
    }
    return cluster;
  }

  /** Direct connection string (trust auth, no password). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.info.port}/postgres`;
  }

  get address(): string {
    return `127.0.0.1:${this.info.port}`;
  }

  /** The live postmaster's pid from postmaster.pid, or null when none runs. */
  async postmasterPid(): Promise<number | null> {
    const pid = await this.recordedPid();
    return pid !== null && isOurProcess(pid, this.info.dataDir) ? pid : null;
  }

  async state(): Promise<ClusterState> {
    const pid = await this.postmasterPid();
    if (pid === null) return 'stopped';
    return processState(pid) === 'paused' ? 'paused' : 'running';
  }

  /** Starts a stopped cluster (a paused one is resumed). Idempotent. */
  async start(): Promise<void> {
    const state = await this.state();
    if (state === 'running') return;
    if (state === 'paused') {
      await this.resume();
      return;
    }
    await this.removeStalePidFile();
    // fsync=off: this cluster is thrown away on `down`, so durability after an
    // OS crash buys nothing and costs throughput. Never copy this to a real server.
    const serverOptions = `-p ${this.info.port} -k '${this.info.dataDir}' -c listen_addresses=127.0.0.1 -c fsync=off`;
    try {
      await this.run(await postgresUser(), 'pg_ctl', ['start', '-w', '-t', '60', '-D', this.info.dataDir, '-o', serverOptions], 90_000);
    } catch (error) {
      throw new ChaosError('CHAOSCTL_E_STACK_UP', { service: 'postgres', detail: (error as Error).message }, { cause: error });
    }
  }

  /** Fast shutdown (open sessions are cut), waiting until it is down. Idempotent. */
  async stop(): Promise<void> {
    const state = await this.state();
    if (state === 'stopped') return;
    if (state === 'paused') await this.resume();
    await this.run(await postgresUser(), 'pg_ctl', ['stop', '-D', this.info.dataDir, '-m', 'fast', '-w', '-t', '30'], 45_000);
  }

  /** SIGKILL the postmaster and every child: a crash. `start()` recovers from it. */
  async kill(): Promise<void> {
    const pids = await this.processes();
    // Postmaster first, so it cannot respawn the children killed after it.
    for (const pid of pids) sendSignal(pid, 'SIGKILL');
    const gone = await waitUntil(() => pids.every((pid) => processState(pid) === 'gone'), 5000);
    if (!gone) throw new Error(`postgres processes ${pids.join(', ')} are still there after SIGKILL`);
  }

  /** SIGSTOP the postmaster and its children: connections hang instead of failing. */
  async pause(): Promise<void> {
    const pids = await this.processes();
    if (pids.length === 0) {
      throw new ChaosError('CHAOSCTL_E_STACK_UNSUPPORTED', { operation: 'pause postgres', detail: 'it is not running' });
    }
    // Postmaster first, so it starts no new child we would miss.
    for (const pid of pids) sendSignal(pid, 'SIGSTOP');
    const all = await this.processes();
    for (const pid of all) sendSignal(pid, 'SIGSTOP');
    // A signal is delivered asynchronously: return only once the kernel shows them stopped,
    // so that "paused" is true for whoever looks next (bounded: 2 s).
    await waitUntil(() => all.every((pid) => processState(pid) !== 'running'), 2000);
  }

  async resume(): Promise<void> {
    for (const pid of (await this.processes()).reverse()) sendSignal(pid, 'SIGCONT');
  }

  /** Postmaster first, then its children; empty when it is not running. */
  async processes(): Promise<number[]> {
    const pid = await this.postmasterPid();
    return pid === null ? [] : [pid, ...childPids(pid)];
  }

  /** Stops the cluster (killing it when a clean stop fails) and deletes its data directory. */
  async remove(): Promise<void> {
    try {
      await this.stop();
    } catch {
      await this.kill();
    }
    if (!path.basename(this.info.dataDir).startsWith(DATA_DIR_PREFIX)) {
      throw new ChaosError('CHAOSCTL_E_STATE', { file: this.info.dataDir, detail: `refusing to delete a directory not named ${DATA_DIR_PREFIX}*` });
    }
    await rm(this.info.dataDir, { recursive: true, force: true });
  }

  private async recordedPid(): Promise<number | null> {
    try {
      const first = (await readFile(path.join(this.info.dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '';
      return /^\d+$/.test(first.trim()) ? Number(first.trim()) : null;
    } catch {
      return null;
    }
  }

  /**
   * After a kill, postmaster.pid and the socket's lock file name a dead pid
   * that may linger as a zombie (when PID 1 does not reap orphans) or be
   * reused. PostgreSQL checks them with kill(pid, 0), which a zombie passes,
   * so remove them ourselves once we know no postmaster of ours runs.
   */
  private async removeStalePidFile(): Promise<void> {
    const pid = await this.recordedPid();
    if (pid === null || isOurProcess(pid, this.info.dataDir)) return;
    const socket = path.join(this.info.dataDir, `.s.PGSQL.${this.info.port}`);
    for (const file of [path.join(this.info.dataDir, 'postmaster.pid'), `${socket}.lock`, socket]) {
      await rm(file, { force: true });
    }
  }

  private async run(user: PostgresUser | null, tool: 'initdb' | 'pg_ctl', args: string[], timeoutMs: number): Promise<void> {
    const binary = path.join(this.info.binDir, tool);
    const [command, commandArgs] = user ? [user.runuser, ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
    await runTool(command, commandArgs, {
      // The postgres user must be able to enter the working directory.
      cwd: this.info.dataDir,
      env: { ...process.env, LC_ALL: 'C' },
      logFile: this.info.logFile,
      timeoutMs,
    });
  }
}
