/**
 * A telegram-sent probe: how many messages the bot sent to one chat since the run clock
 * started, read from the Telegram simulator's sent log (GET /_sim/sent). Admin alerts,
 * for example, are messages to the admin chat whose text carries the severity.
 */
import { request } from 'undici';
import { toMs } from '../../engine/duration.ts';
import type { ProbeSample } from '../../engine/journal.ts';
import type { TelegramSentProbeSpec } from '../../engine/scenario-schema.ts';
import { isTimeout, roundMs } from './http.ts';
import type { ProbeContext } from './types.ts';

/** The simulator keeps at most this many records per query answer; a count that reaches it is refused, not guessed. */
export const SENT_QUERY_LIMIT = 100_000;

/** The sent-log query for a probe: records of the chat and method since `sinceEpochMs`. */
export function sentQueryUrl(base: string, spec: TelegramSentProbeSpec, sinceEpochMs: number): URL {
  const url = new URL('/_sim/sent', base);
  url.searchParams.set('chat_id', String(spec.chatId));
  url.searchParams.set('method', spec.method);
  url.searchParams.set('ok', String(spec.ok));
  url.searchParams.set('since', String(Math.floor(sinceEpochMs)));
  url.searchParams.set('limit', String(SENT_QUERY_LIMIT));
  return url;
}

/** Counts the records whose text contains `contains` (all of them without it). */
export function countSent(records: ReadonlyArray<{ text?: string | null }>, contains: string | undefined): number {
  if (contains === undefined) return records.length;
  return records.filter((r) => typeof r.text === 'string' && r.text.includes(contains)).length;
}

export async function sampleTelegramSent(spec: TelegramSentProbeSpec, ctx: ProbeContext): Promise<ProbeSample> {
  const timeoutMs = toMs(spec.timeout);
  const tMs = ctx.clock.now();
  const base = ctx.endpoints.sims?.telegram;
  if (!base) return { tMs, ok: false, status: null, latencyMs: 0, error: 'this stack runs no Telegram simulator' };
  // The run clock's zero as wall-clock time: the simulator stamps its records with epoch ms on this machine.
  const sinceEpochMs = Date.now() - tMs;
  try {
    const response = await request(sentQueryUrl(base, spec, sinceEpochMs), {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.body.text();
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    const status = response.statusCode;
    if (status !== 200) return { tMs, ok: false, status, latencyMs, error: `telegram sim sent log answered ${status}: ${text.slice(0, 200)}` };
    const records = (JSON.parse(text) as { records?: Array<{ text?: string | null }> }).records ?? [];
    if (records.length >= SENT_QUERY_LIMIT) return { tMs, ok: false, status, latencyMs, error: `more than ${SENT_QUERY_LIMIT} records: the count would be cut short` };
    return { tMs, ok: true, status, latencyMs, value: countSent(records, spec.contains) };
  } catch (error) {
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    return { tMs, ok: false, status: null, latencyMs, error: isTimeout(error) ? `timeout after ${timeoutMs} ms` : (error as Error).message };
  }
}
