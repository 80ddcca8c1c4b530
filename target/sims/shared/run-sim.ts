/**
 * Runs one simulator as its own process: reads PORT and HOST, listens on a
 * loopback address only, prints one JSON "listening" line on stdout and
 * stops cleanly on SIGTERM/SIGINT. The entry points in target/sims/<name>/main.ts
 * are thin wrappers around this.
 */
import type { FastifyInstance } from 'fastify';
import { isLoopbackHost } from './loopback-url.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** A simulator's environment could not be used; every problem is listed. */
export class SimEnvError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid simulator environment: ${problems.join('; ')}`);
    this.name = 'SimEnvError';
    this.problems = problems;
  }
}

/** Reads variables and collects every problem, to report them together. */
export class EnvReader {
  readonly problems: string[] = [];
  private readonly env: Env;

  constructor(env: Env) {
    this.env = env;
  }

  string(name: string): string | undefined {
    const raw = this.env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  }

  number(name: string, min: number, max: number, integer = true): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      this.problems.push(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got "${raw}"`);
      return undefined;
    }
    return value;
  }

  /** Throws SimEnvError when anything read so far was wrong. */
  check(): void {
    if (this.problems.length > 0) throw new SimEnvError(this.problems);
  }
}

/** Where the process listens, from PORT (default 0: any free port) and HOST (default 127.0.0.1, loopback only). */
export function readListenAddress(reader: EnvReader): { host: string; port: number } {
  const port = reader.number('PORT', 0, 65535) ?? 0;
  const host = reader.string('HOST') ?? '127.0.0.1';
  if (!isLoopbackHost(host)) reader.problems.push(`HOST must be a loopback address (127.0.0.0/8, localhost, ::1), got "${host}"`);
  return { host, port };
}

function writeLine(stream: NodeJS.WriteStream, fields: Record<string, unknown>): void {
  stream.write(`${JSON.stringify({ time: Date.now(), ...fields })}\n`);
}

/**
 * Builds and runs a simulator until SIGTERM/SIGINT. Resolves with the exit
 * code the entry point should set; never exits the process itself.
 */
export async function runSimulator(sim: string, env: Env, build: (reader: EnvReader) => FastifyInstance): Promise<number> {
  let app: FastifyInstance;
  let address: { host: string; port: number };
  const reader = new EnvReader(env);
  try {
    address = readListenAddress(reader);
    app = build(reader);
    reader.check();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Report what the reader found together with what made the build fail.
    const problems = error instanceof SimEnvError ? error.problems : [...reader.problems, message];
    writeLine(process.stderr, { level: 60, sim, msg: 'cannot start', error: message, problems });
    return 1;
  }

  try {
    await app.listen({ host: address.host, port: address.port });
  } catch (error) {
    writeLine(process.stderr, { level: 60, sim, msg: `cannot listen on ${address.host}:${address.port}`, error: error instanceof Error ? error.message : String(error) });
    await app.close().catch(() => undefined);
    return 1;
  }
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : address.port;
  const urlHost = address.host.includes(':') ? `[${address.host}]` : address.host;
  writeLine(process.stdout, { level: 30, sim, pid: process.pid, msg: 'listening', url: `http://${urlHost}:${port}` });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      writeLine(process.stdout, { level: 30, sim, msg: 'stopping', signal });
      app.close().then(
        () => {
          writeLine(process.stdout, { level: 30, sim, msg: 'stopped' });
          resolve(0);
        },
        (error: unknown) => {
          writeLine(process.stderr, { level: 50, sim, msg: 'stop failed', error: error instanceof Error ? error.message : String(error) });
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
