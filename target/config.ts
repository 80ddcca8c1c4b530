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
  /** Token of the harness's /_control API (CONTROL_TOKEN); without it the API does not exist. */
  controlToken: string | undefined;
  telegram: {
    /** Bot token (BOT_TOKEN); without it the bot, notifications and alerts to Telegram are off. */
    token: string | undefined;
    /** Bot API root (TELEGRAM_API_ROOT, default https://api.telegram.org). */
    apiRoot: string;
    /** Telegram ids of the admins (ADMIN_IDS, comma-separated): /analytics and admin alerts. */
    adminIds: number[];
    /** Messages a user may send per minute before the throttle drops them (THROTTLE_PER_MINUTE, default 30). */
    throttlePerMinute: number;
    /** Length of one throttle window (THROTTLE_WINDOW_MS, default 60 000: the seed's minute); shorter only for tests that must not inherit a window. */
    throttleWindowMs: number;
    /** Conversation state older than this is gone (FSM_TTL_MS, default 24 h). */
    fsmTtlMs: number;
    /** polling (default) or webhook (BOT_MODE; B8). Webhook mode needs BOT_WEBHOOK_URL, the public URL of POST /telegram/webhook. */
    mode: 'polling' | 'webhook';
    webhookUrl: string | undefined;
    /** Checked against X-Telegram-Bot-Api-Secret-Token in webhook mode (BOT_WEBHOOK_SECRET). */
    webhookSecret: string | undefined;
    /** Updates the long poller handles at once across chats (BOT_MAX_CONCURRENT_UPDATES, default 25; 1 = one at a time, seed B2); each chat stays in order either way. */
    maxConcurrentUpdates: number;
  };
  /** A Redis server shared by several instances for the rate limit (REDIS_URL, redis://host:port; B3); unset = per process. */
  redisUrl: string | undefined;
  /** allowedIps: senders YooKassa notifications may come from (YOOKASSA_ALLOWED_IPS); unset = YooKassa's published ranges. */
  yookassa: { apiUrl: string; shopId: string | undefined; secretKey: string | undefined; allowedIps: string[] | undefined };
  cryptopay: { apiUrl: string; token: string | undefined };
  scheduler: {
    /** Start the scheduler with the process (SCHEDULER_AUTOSTART, default true). */
    autostart: boolean;
    remindersIntervalMs: number;
    analyticsIntervalMs: number;
    healthCheckIntervalMs: number;
    misfireGraceMs: number;
  };
  /** Time between health monitor checks (MONITOR_INTERVAL_MS, default 30 s). */
  monitorIntervalMs: number;
  alerts: { dbDownCooldownMs: number; schedulerCooldownMs: number; botCooldownMs: number; flushIntervalMs: number };
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

  const text = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };

  const idList = (name: string): number[] => {
    const raw = text(name);
    if (raw === undefined) return [];
    const ids = raw.split(',').map((part) => part.trim()).filter(Boolean);
    const bad = ids.filter((id) => !/^-?\d+$/.test(id));
    if (bad.length > 0) problems.push(`${name} must be comma-separated Telegram ids, got "${bad.join(', ')}"`);
    return ids.filter((id) => /^-?\d+$/.test(id)).map(Number);
  };

  const rawMode = text('BOT_MODE') ?? 'polling';
  const botMode = rawMode === 'webhook' ? 'webhook' : 'polling';
  if (rawMode !== 'polling' && rawMode !== 'webhook') problems.push(`BOT_MODE must be polling or webhook, got "${rawMode}"`);
  if (botMode === 'webhook' && !text('BOT_WEBHOOK_URL')) problems.push('BOT_MODE=webhook needs BOT_WEBHOOK_URL');
  const redis = text('REDIS_URL');
  if (redis !== undefined && !/^redis:\/\/[^/:]+(:\d+)?\/?$/.test(redis)) problems.push(`REDIS_URL must look like redis://host:port, got "${redis}"`);

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
    controlToken: text('CONTROL_TOKEN'),
    telegram: {
      token: text('BOT_TOKEN'),
      apiRoot: text('TELEGRAM_API_ROOT') ?? 'https://api.telegram.org',
      adminIds: idList('ADMIN_IDS'),
      throttlePerMinute: integer('THROTTLE_PER_MINUTE', 30, 1, 100_000),
      throttleWindowMs: integer('THROTTLE_WINDOW_MS', 60_000, 1000, 3_600_000),
      fsmTtlMs: integer('FSM_TTL_MS', 86_400_000, 1, 30 * 86_400_000),
      mode: botMode,
      webhookUrl: text('BOT_WEBHOOK_URL'),
      webhookSecret: text('BOT_WEBHOOK_SECRET'),
      maxConcurrentUpdates: integer('BOT_MAX_CONCURRENT_UPDATES', 25, 1, 1000),
    },
    redisUrl: text('REDIS_URL'),
    yookassa: {
      apiUrl: text('YOOKASSA_API_URL') ?? 'https://api.yookassa.ru/v3',
      shopId: text('YOOKASSA_SHOP_ID'),
      secretKey: text('YOOKASSA_SECRET_KEY'),
      allowedIps: text('YOOKASSA_ALLOWED_IPS')?.split(',').map((ip) => ip.trim()).filter(Boolean),
    },
    cryptopay: { apiUrl: text('CRYPTOPAY_API_URL') ?? 'https://pay.crypt.bot/api', token: text('CRYPTOPAY_TOKEN') },
    scheduler: {
      autostart: (text('SCHEDULER_AUTOSTART') ?? 'true') !== 'false',
      remindersIntervalMs: integer('REMINDERS_INTERVAL_MS', 60_000, 50, 86_400_000),
      analyticsIntervalMs: integer('ANALYTICS_INTERVAL_MS', 3_600_000, 50, 86_400_000),
      healthCheckIntervalMs: integer('HEALTH_CHECK_INTERVAL_MS', 300_000, 50, 86_400_000),
      misfireGraceMs: integer('MISFIRE_GRACE_MS', 300_000, 0, 86_400_000),
    },
    monitorIntervalMs: integer('MONITOR_INTERVAL_MS', 30_000, 50, 86_400_000),
    alerts: {
      dbDownCooldownMs: integer('ALERT_COOLDOWN_DB_DOWN_MS', 300_000, 0, 86_400_000),
      schedulerCooldownMs: integer('ALERT_COOLDOWN_SCHEDULER_MS', 900_000, 0, 86_400_000),
      botCooldownMs: integer('ALERT_COOLDOWN_BOT_MS', 300_000, 0, 86_400_000),
      flushIntervalMs: integer('ALERT_FLUSH_INTERVAL_MS', 15_000, 50, 86_400_000),
    },
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
