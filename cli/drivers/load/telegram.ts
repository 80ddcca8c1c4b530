/**
 * Virtual Telegram users, each playing the scenario's script against the bot
 * through the Telegram simulator, on the virtual-user engine (virtual-users.ts).
 */
import { toMs, formatMs } from '../../core/duration.ts';
import { z } from 'zod';
import { duration } from '../../core/scenario-schema.ts';
import type { UpdateKind } from './telegram-sim-client.ts';
import type { LoadDriver, LoadRun } from './types.ts';
import { startVirtualUsers } from './virtual-users.ts';

/** One scripted action of a virtual Telegram user. `{user}` in texts becomes the user's number. */
export const TelegramActionSchema = z
  .object({
    command: z.string().regex(/^\/?[a-z0-9_]{1,32}$/, { message: 'a bot command such as start or /start' }).optional(),
    args: z.string().optional().describe('Text after the command.'),
    message: z.string().min(1).optional().describe('A plain text message.'),
    callback: z.string().min(1).max(64).optional().describe('callback_data of an inline button on the bot\'s latest keyboard message.'),
    reply: z
      .enum(['expected', 'none', 'any'])
      .default('expected')
      .describe('expected: no reply within replyTimeout is an error; none: a reply is an error (e.g. throttled); any: not checked.'),
    repeat: z.number().int().min(1).max(1000).default(1),
    think: duration.default('0ms').describe('Pause after this action (after its reply, when one is expected).'),
  })
  .strict()
  .refine((a) => [a.command, a.message, a.callback].filter((x) => x !== undefined).length === 1, {
    message: 'an action has exactly one of command, message or callback',
  });
export type TelegramAction = z.output<typeof TelegramActionSchema>;

/** Virtual Telegram users playing a script against the bot, through the Telegram simulator. */
export const TelegramLoadSchema = z
  .object({
    driver: z.literal('telegram'),
    users: z.number().int().min(1).max(20_000).describe('How many virtual users play the script.'),
    firstUser: z.number().int().min(1).default(1).describe('Number of the first virtual user (users are firstUser … firstUser+users-1).'),
    arrival: z.enum(['burst', 'rate']).default('rate').describe('burst: every user starts at once; rate: users start at `rate` per second (open model).'),
    rate: z.number().positive().max(2000).default(10).describe('Users starting per second with arrival: rate.'),
    script: z.array(TelegramActionSchema).min(1),
    replyTimeout: duration.default('5s'),
  })
  .strict();
export type TelegramLoadSpec = z.output<typeof TelegramLoadSchema>;

export { arrivalOffsetMs } from './virtual-users.ts';

/** Outcome keys in a telegram load record's statusCounts. */
export const OUTCOMES = ['replied', 'missing', 'unexpected', 'reply_error', 'inject_error', 'unchecked'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Which outcomes count as errors. */
export function isErrorOutcome(outcome: Outcome): boolean {
  return outcome === 'missing' || outcome === 'unexpected' || outcome === 'reply_error' || outcome === 'inject_error';
}

/** The control call and body for one action of user n. `{user}` in texts becomes n. */
export function actionRequest(action: TelegramAction, user: number): { kind: UpdateKind; body: Record<string, unknown> } {
  const fill = (text: string): string => text.replaceAll('{user}', String(user));
  if (action.command !== undefined) {
    return { kind: 'command', body: { user, command: action.command, ...(action.args ? { args: fill(action.args) } : {}) } };
  }
  if (action.callback !== undefined) return { kind: 'callback_query', body: { user, data: fill(action.callback) } };
  return { kind: 'message', body: { user, text: fill(action.message ?? '') } };
}

function describe(spec: TelegramLoadSpec): string {
  const who = `${spec.users} virtual user${spec.users === 1 ? '' : 's'}`;
  const when = spec.arrival === 'burst' ? 'all at once' : `arriving at ${spec.rate}/s`;
  const steps = spec.script
    .map((a) => `${a.command !== undefined ? `/${a.command.replace(/^\//, '')}` : a.callback !== undefined ? `tap ${a.callback}` : `"${a.message}"`}${a.repeat > 1 ? ` ×${a.repeat}` : ''}`)
    .join(' → ');
  return `Telegram: ${who} ${when}, each: ${steps} (reply timeout ${formatMs(toMs(spec.replyTimeout))})`;
}

export const telegramLoadDriver: LoadDriver<typeof TelegramLoadSchema> = {
  schema: TelegramLoadSchema,
  describe,

  start(step, spec, durationMs, ctx): LoadRun {
    return startVirtualUsers(step, spec, durationMs, ctx, {
      driver: 'telegram',
      describe,
      async play(vu, tally) {
        const outcome = (kind: Outcome, latencyMs?: number): void => tally.outcome(kind, isErrorOutcome(kind), latencyMs);
        /** One action: inject, then judge the answer (or its absence) as the action asks. */
        const act = async (action: TelegramAction): Promise<void> => {
          const { kind, body } = actionRequest(action, vu.user);
          const expect = action.reply === 'any' ? 'nothing' : action.reply === 'none' ? 'silence' : 'reply';
          const { injected, reply, latencyMs } = await vu.send(kind, body, expect);
          if (!injected) outcome('inject_error');
          else if (action.reply === 'any') outcome('unchecked');
          else if (action.reply === 'expected') outcome(!reply ? 'missing' : reply.ok ? 'replied' : 'reply_error', latencyMs);
          else outcome(reply ? 'unexpected' : 'replied', latencyMs);
        };
        for (const action of spec.script) {
          for (let i = 0; i < action.repeat; i += 1) {
            if (vu.stopped.aborted) return;
            // With reply: none the next message goes at once (a flood); its check runs alongside.
            const done = act(action);
            if (action.reply !== 'none') await done;
          }
          await vu.sleep(toMs(action.think));
        }
      },
    });
  },
};
