/**
 * Bodies and queries of the Telegram simulator's control API. The HTTP
 * routes and the in-process control object both validate with these, so the
 * two cannot drift apart.
 */
import { z } from 'zod';
import { MAX_VIRTUAL_NUMBER } from './virtual-users.ts';

const userNumber = z.number().int().min(1).max(MAX_VIRTUAL_NUMBER).describe('Virtual user N (id = userIdBase + N).');
const groupNumber = z.number().int().min(1).max(MAX_VIRTUAL_NUMBER).describe('Virtual group N; the update then comes from that group chat.');

const profile = {
  first_name: z.string().min(1).max(64).optional(),
  last_name: z.string().min(1).max(64).optional(),
  username: z.string().regex(/^[A-Za-z0-9_]{5,32}$/).optional(),
  language_code: z.string().min(2).max(10).optional(),
};

export const InjectMessageSchema = z
  .object({ user: userNumber, group: groupNumber.optional(), text: z.string().min(1).max(4096), ...profile })
  .strict();

export const InjectCommandSchema = z
  .object({
    user: userNumber,
    group: groupNumber.optional(),
    command: z
      .string()
      .regex(/^\/?[A-Za-z0-9_]{1,32}$/)
      .describe('Command name, with or without the leading slash.'),
    args: z.string().max(4000).optional(),
    ...profile,
  })
  .strict();

export const InjectCallbackQuerySchema = z
  .object({
    user: userNumber,
    group: groupNumber.optional(),
    data: z.string().min(1).max(64),
    message_id: z.number().int().positive().optional().describe('The bot message whose button was pressed; the latest one with a keyboard when left out.'),
    ...profile,
  })
  .strict();

export const ForceErrorSchema = z
  .object({
    error_code: z.number().int().min(400).max(599),
    count: z.number().int().min(1).max(1_000_000).default(1),
    retry_after: z.number().int().min(1).max(86_400).optional().describe('For 429: the seconds in parameters.retry_after (default 5).'),
    description: z.string().min(1).max(500).optional(),
    methods: z.array(z.string().min(1)).min(1).optional().describe('Only calls of these methods fail; all methods when left out.'),
  })
  .strict();

export const FloodPatchSchema = z
  .object({
    enabled: z.boolean().optional(),
    scale: z.number().positive().max(1_000_000).optional(),
    private_per_second: z.number().positive().optional(),
    private_burst: z.number().positive().optional(),
    global_per_second: z.number().positive().optional(),
    global_burst: z.number().positive().optional(),
    group_per_minute: z.number().positive().optional(),
    group_burst: z.number().positive().optional(),
  })
  .strict();

const numberFromQuery = z.coerce.number().int();

export const SentQuerySchema = z
  .object({
    chat_id: z.string().regex(/^-?\d+$/).optional(),
    chat_id_from: numberFromQuery.optional(),
    chat_id_to: numberFromQuery.optional(),
    text_contains: z.string().min(1).optional(),
    method: z.string().min(1).optional(),
    since: numberFromQuery.min(0).optional(),
    after_seq: numberFromQuery.min(0).optional(),
    ok: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    limit: numberFromQuery.min(1).max(100_000).optional(),
    count: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('true: answer only the number of matching records, not the records.'),
  })
  .strict();

export const SentStreamQuerySchema = SentQuerySchema.omit({ since: true, limit: true, count: true }).extend({
  max_ms: numberFromQuery.min(1).optional().describe('Close the stream after this long (capped by maxStreamMs).'),
});

export type InjectMessageBody = z.input<typeof InjectMessageSchema>;
export type InjectCommandBody = z.input<typeof InjectCommandSchema>;
export type InjectCallbackQueryBody = z.input<typeof InjectCallbackQuerySchema>;
export type ForceErrorBody = z.input<typeof ForceErrorSchema>;
export type FloodPatch = z.input<typeof FloodPatchSchema>;
