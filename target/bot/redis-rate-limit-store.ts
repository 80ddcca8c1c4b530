/**
 * A RateLimitStore in Redis, so every bot instance counts against one limit
 * (seed B3: "for scale-out: Redis-based rate limit"). No Redis client is a
 * dependency of this project, so this speaks RESP over a plain TCP socket;
 * it needs only EVAL (and AUTH when a password is set).
 *
 * One Lua script makes the count atomic: INCR the key, and give it the
 * window as its time to live when it has none (a new window). That is the
 * same fixed window the in-memory store keeps.
 *
 * Failures (Redis down, a timeout) reject the hit; the throttle middleware
 * then lets the update through and logs it, so a broken Redis never
 * silences the bot.
 */
import net from 'node:net';
import type { RateLimitStore } from './throttle.ts';

export interface RedisRateLimitStoreOptions {
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
  password?: string;
  /** Prepended to every key (default `chaosctl:`). */
  keyPrefix?: string;
  /** Bound of connecting (default 1000 ms). */
  connectTimeoutMs?: number;
  /** Bound of one command (default 500 ms); a late reply closes the connection. */
  commandTimeoutMs?: number;
}

const HIT_SCRIPT = `local count = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

/** A Redis reply as far as this store needs it. */
export type RespValue = string | number | null | RespValue[] | RedisReplyError;

export class RedisReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisReplyError';
  }
}

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly string[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg, 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/**
 * Reads one reply from `buffer` at `offset`. Returns the value and where the
 * next reply starts, or null when the buffer does not hold a whole reply yet.
 */
export function parseReply(buffer: Buffer, offset = 0): { value: RespValue; next: number } | null {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: line, next: afterLine };
    case '-':
      return { value: new RedisReplyError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return null;
      return { value: buffer.toString('utf8', afterLine, afterLine + length), next: afterLine + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: RespValue[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i += 1) {
        const item = parseReply(buffer, next);
        if (!item) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RedisReplyError(`unexpected reply type ${JSON.stringify(type)} from Redis`);
  }
}

interface Pending {
  resolve(value: RespValue): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class RedisRateLimitStore implements RateLimitStore {
  private readonly host: string;
  private readonly port: number;
  private readonly password: string | undefined;
  private readonly keyPrefix: string;
  private readonly connectTimeoutMs: number;
  private readonly commandTimeoutMs: number;
  private socket: net.Socket | null = null;
  private connecting: Promise<net.Socket> | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];
  private closed = false;

  constructor(options: RedisRateLimitStoreOptions) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port;
    this.password = options.password;
    this.keyPrefix = options.keyPrefix ?? 'chaosctl:';
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    this.commandTimeoutMs = options.commandTimeoutMs ?? 500;
  }

  async hit(key: string, windowMs: number): Promise<number> {
    const reply = await this.command(['EVAL', HIT_SCRIPT, '1', `${this.keyPrefix}${key}`, String(Math.max(1, Math.round(windowMs)))]);
    if (typeof reply !== 'number') throw new RedisReplyError(`EVAL answered ${JSON.stringify(reply)} instead of a count`);
    return reply;
  }

  /** Sends one command; resolves with its reply, rejects on an error reply, a timeout or a lost connection. */
  async command(args: readonly string[]): Promise<RespValue> {
    const socket = await this.connection();
    return this.send(socket, args);
  }

  /** Closes the connection; later hits fail. */
  close(): Promise<void> {
    this.closed = true;
    this.drop(new Error('the Redis store was closed'));
    return Promise.resolve();
  }

  private send(socket: net.Socket, args: readonly string[]): Promise<RespValue> {
    return new Promise<RespValue>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Replies come in order: once one is late, the rest cannot be matched safely.
        this.drop(new Error(`Redis did not answer within ${this.commandTimeoutMs} ms`));
      }, this.commandTimeoutMs);
      this.pending.push({
        resolve: (value) => {
          clearTimeout(timer);
          if (value instanceof RedisReplyError) reject(value);
          else resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
        timer,
      });
      socket.write(encodeCommand(args));
    });
  }

  private connection(): Promise<net.Socket> {
    if (this.closed) return Promise.reject(new Error('the Redis store was closed'));
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<net.Socket> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const candidate = net.connect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        candidate.destroy();
        reject(new Error(`could not connect to Redis at ${this.host}:${this.port} within ${this.connectTimeoutMs} ms`));
      }, this.connectTimeoutMs);
      candidate.once('connect', () => {
        clearTimeout(timer);
        resolve(candidate);
      });
      candidate.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // Events of a connection already replaced must not drop its successor.
    socket.on('error', (error) => {
      if (this.socket === socket) this.drop(error);
    });
    socket.on('close', () => {
      if (this.socket === socket) this.drop(new Error('the Redis connection closed'));
    });
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    if (this.password !== undefined) await this.send(socket, ['AUTH', this.password]);
    return socket;
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    for (;;) {
      let parsed: { value: RespValue; next: number } | null;
      try {
        parsed = parseReply(this.buffer, offset);
      } catch (error) {
        this.drop(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (!parsed) break;
      offset = parsed.next;
      this.pending.shift()?.resolve(parsed.value);
    }
    this.buffer = this.buffer.subarray(offset);
  }

  /** Forgets the connection and fails every command waiting on it; the next command reconnects. */
  private drop(error: Error): void {
    const socket = this.socket;
    this.socket = null;
    this.buffer = Buffer.alloc(0);
    socket?.destroy();
    for (const waiting of this.pending.splice(0)) waiting.reject(error);
  }
}
