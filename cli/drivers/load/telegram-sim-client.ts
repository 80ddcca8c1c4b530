/**
 * The harness's client for the Telegram simulator's control API: inject updates
 * from virtual users and follow what the bot sends, as a live stream.
 */
import { request } from 'undici';

/** What injecting an update returns. `injected_at` is the simulator's clock (epoch ms). */
export interface Injected {
  update_id: number;
  chat_id: number;
  user_id: number;
  injected_at: number;
  callback_query_id?: string;
}

/** One thing the bot sent (or tried to), as the simulator logged it. */
export interface SentRecord {
  seq: number;
  at: number;
  method: string;
  chat_id: number | null;
  text?: string | null;
  ok: boolean;
  error_code?: number | null;
  answers_update_id?: number | null;
  update_injected_at?: number | null;
}

export type UpdateKind = 'message' | 'command' | 'callback_query';

export class TelegramSimClient {
  constructor(
    private readonly baseUrl: string,
    private readonly controlToken?: string,
  ) {}

  private headers(): Record<string, string> {
    return { 'content-type': 'application/json', ...(this.controlToken ? { 'x-sim-control-token': this.controlToken } : {}) };
  }

  async inject(kind: UpdateKind, body: Record<string, unknown>, timeoutMs = 5000): Promise<Injected> {
    const response = await request(new URL(`/_sim/updates/${kind}`, this.baseUrl), {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify(body),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`telegram sim refused ${kind} (${response.statusCode}): ${text.slice(0, 200)}`);
    return JSON.parse(text) as Injected;
  }

  /**
   * Follows the sent log live until the signal aborts or maxMs passes. `ready`
   * resolves once the simulator confirmed the subscription (inject only after
   * it, or early replies are missed); `done` when the stream ends.
   */
  follow(signal: AbortSignal, onRecord: (record: SentRecord) => void, maxMs: number): { ready: Promise<void>; done: Promise<void> } {
    let markReady!: () => void;
    let failReady!: (error: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    const done = (async () => {
      const url = new URL('/_sim/sent/stream', this.baseUrl);
      url.searchParams.set('max_ms', String(Math.ceil(maxMs)));
      try {
        const response = await request(url, { method: 'GET', headers: this.headers(), signal, bodyTimeout: 0 });
        if (response.statusCode !== 200) throw new Error(`telegram sim stream answered ${response.statusCode}`);
        let buffer = '';
        for await (const chunk of response.body) {
          buffer += (chunk as Buffer).toString('utf8');
          for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
            const line = buffer.slice(0, newline).trim();
            buffer = buffer.slice(newline + 1);
            if (!line) continue;
            const event = JSON.parse(line) as { type: string } & Partial<SentRecord>;
            if (event.type === 'subscribed') markReady();
            else if (event.type === 'sent') onRecord(event as SentRecord);
          }
        }
      } catch (error) {
        failReady(error);
        if (!signal.aborted) throw error;
      }
      failReady(new Error('the telegram sim stream ended before it confirmed the subscription'));
    })();
    // The caller awaits `ready` first; a failure also surfaces there, so `done` alone never goes unhandled.
    done.catch(() => undefined);
    return { ready, done };
  }
}
