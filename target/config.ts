/**
 * The target's configuration, read once from the environment. Every problem is
 * reported at once so a broken deployment shows all its mistakes together.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AppConfig {
  /** HTTP port (PORT, default 8080). */
  port: number;
  /** HTTP bind address (HOST, default 127.0.0.1). */
  host: string;
  /** PostgreSQL connection string (DATABASE_URL, required). Holds a secret: log it only through maskDatabaseUrl. */
  databaseUrl: string;
  /** Steady-state connections (DB_POOL_MAX, default 10). */
  dbPoolMax: number;
  /** Extra connections allowed under bursts (DB_POOL_BURST, default 20); the pool's hard limit is the sum. */
  dbPoolBurst: number;
  /** How long to wait for a connection, new or from the pool (DB_CONNECT_TIMEOUT_MS, default 2000). */
  dbConnectTimeoutMs: number;
  /** Server-side statement_timeout for every connection (DB_STATEMENT_TIMEOUT_MS, default 30000). */
  dbStatementTimeoutMs: number;
  /** Bound on the database check behind GET /health (HEALTH_DB_TIMEOUT_MS, default 300). */
  healthDbTimeoutMs: number;
  /** pino level (LOG_LEVEL, default info). */
  logLevel: LogLevel;
}

/** The configuration is unusable; `problems` names every bad variable. */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Reads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };

  const databaseUrl = env.DATABASE_URL?.trim() ?? '';
  if (databaseUrl === '') {
    problems.push('DATABASE_URL is required (e.g. postgres://user@127.0.0.1:5432/db)');
  } else if (!isPostgresUrl(databaseUrl)) {
    problems.push(`DATABASE_URL must be a postgres:// or postgresql:// URL, got "${maskDatabaseUrl(databaseUrl)}"`);
  }

  const rawLevel = env.LOG_LEVEL?.trim() || 'info';
  const logLevel = LOG_LEVELS.find((level) => level === rawLevel);
  if (!logLevel) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${rawLevel}"`);

  const config: AppConfig = {
    port: integer('PORT', 8080, 0, 65535),
    host: env.HOST?.trim() || '127.0.0.1',
    databaseUrl,
    dbPoolMax: integer('DB_POOL_MAX', 10, 1, 1000),
    dbPoolBurst: integer('DB_POOL_BURST', 20, 0, 1000),
    dbConnectTimeoutMs: integer('DB_CONNECT_TIMEOUT_MS', 2000, 1, 600_000),
    dbStatementTimeoutMs: integer('DB_STATEMENT_TIMEOUT_MS', 30_000, 1, 86_400_000),
    healthDbTimeoutMs: integer('HEALTH_DB_TIMEOUT_MS', 300, 1, 60_000),
    logLevel: logLevel ?? 'info',
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
  } catch {
    return false;
  }
}

/** The connection string with its password replaced by `***`, safe for logs. Unparseable input is hidden whole. */
export function maskDatabaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}
