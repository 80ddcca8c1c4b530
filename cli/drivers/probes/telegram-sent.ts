/**
 * A telegram-sent probe: how many messages the bot sent to a chat (a range of chats, or
 * every chat) since the run clock started, counted by the Telegram simulator's sent log
 * (GET /_sim/sent?count=true). Admin alerts, for example, are messages to the admin chat
 * whose text carries the severity.
 */
import { request } from 'undici';
import { toMs } from '../../core/duration.ts';
import type { ProbeSample } from '../../core/journal.ts';
import { z } from 'zod';
import { duration, interval, name } from '../../core/scenario-schema.ts';
import { isTimeout, roundMs } from './http.ts';
import { cadence, type ProbeContext, type ProbeDriver } from './types.ts';

/**
 * A number from the Telegram simulator's sent log: how many messages the bot sent to one
 * chat since the run clock started, optionally only those whose text contains a string
 * (e.g. admin alerts: chat 100000999, "[CRITICAL]").
 */
export const TelegramSentProbeSchema = z
  .object({
    name,
    kind: z.literal('telegram-sent'),
    chatId: z.number().int().optional().describe('One chat: a virtual user n has chat id 100000000 + n (the admin, user 999, is 100000999). Without it and without a range: every chat.'),
    chatIdFrom: z.number().int().optional().describe('With chatIdTo: count the chats in this inclusive range.'),
    chatIdTo: z.number().int().optional(),
    contains: z.string().min(1).optional().describe('Only records whose text contains this (case-sensitive).'),
    method: z.string().regex(/^[a-zA-Z]+$/, { message: 'a Bot API method such as sendMessage' }).default('sendMessage'),
    ok: z.boolean().default(true).describe('true: only calls Telegram accepted; false: only refused ones.'),
    every: interval.default('500ms'),
    timeout: duration.default('2s'),
  })
  .strict()
  .refine((p) => (p.chatIdFrom === undefined) === (p.chatIdTo === undefined), { message: 'chatIdFrom and chatIdTo go together' })
  .refine((p) => p.chatId === undefined || p.chatIdFrom === undefined, { message: 'use chatId or a chatIdFrom/chatIdTo range, not both' })
  .refine((p) => p.chatIdFrom === undefined || p.chatIdTo === undefined || p.chatIdFrom <= p.chatIdTo, { message: 'chatIdFrom is at most chatIdTo' });
export type TelegramSentProbeSpec = z.output<typeof TelegramSentProbeSchema>;

/** The sent-log query for a probe: how many records of the chats and method since `sinceEpochMs` (the simulator counts). */
export function sentQueryUrl(base: string, spec: TelegramSentProbeSpec, sinceEpochMs: number): URL {
  const url = new URL('/_sim/sent', base);
  if (spec.chatId !== undefined) url.searchParams.set('chat_id', String(spec.chatId));
  if (spec.chatIdFrom !== undefined) url.searchParams.set('chat_id_from', String(spec.chatIdFrom));
  if (spec.chatIdTo !== undefined) url.searchParams.set('chat_id_to', String(spec.chatIdTo));
  if (spec.contains !== undefined) url.searchParams.set('text_contains', spec.contains);
  url.searchParams.set('method', spec.method);
  url.searchParams.set('ok', String(spec.ok));
  url.searchParams.set('since', String(Math.floor(sinceEpochMs)));
  url.searchParams.set('count', 'true');
  return url;
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
    const count = (JSON.parse(text) as { count?: unknown }).count;
    if (typeof count !== 'number') return { tMs, ok: false, status, latencyMs, error: `telegram sim sent log answered without a count: ${text.slice(0, 200)}` };
    return { tMs, ok: true, status, latencyMs, value: count };
  } catch (error) {
    const latencyMs = roundMs(ctx.clock.now() - tMs);
    return { tMs, ok: false, status: null, latencyMs, error: isTimeout(error) ? `timeout after ${timeoutMs} ms` : (error as Error).message };
  }
}

export const telegramSentProbeDriver: ProbeDriver<typeof TelegramSentProbeSchema> = {
  schema: TelegramSentProbeSchema,
  describe(spec) {
    const chats = spec.chatId !== undefined ? `chat ${spec.chatId}` : spec.chatIdFrom !== undefined ? `chats ${spec.chatIdFrom}–${spec.chatIdTo}` : 'every chat';
    return `Telegram ${spec.method} to ${chats}${spec.contains ? ` containing "${spec.contains}"` : ''} (${spec.ok ? 'accepted' : 'refused'}) ${cadence(spec)}`;
  },
  sample: sampleTelegramSent,
};
