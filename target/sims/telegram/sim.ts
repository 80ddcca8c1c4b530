/**
 * A local Telegram Bot API for the target bot and the harness: build it
 * without listening (tests inject or listen on port 0; main.ts owns the socket).
 */
import type { FastifyInstance } from 'fastify';
import { simFastify } from '../shared/tls-listener.ts';
import { BotApi, registerBotApi } from './bot-api.ts';
import type { TelegramSimControl } from './control.ts';
import { createTelegramControl } from './control.ts';
import { registerTelegramControlRoutes } from './control-routes.ts';
import { SentStreams } from './sent-stream.ts';
import type { TelegramSimOptions } from './state.ts';
import { createTelegramState, resolveTelegramOptions } from './state.ts';
import { WebhookSender } from './webhook-sender.ts';

export type { TelegramSimOptions } from './state.ts';
export type { TelegramSimControl } from './control.ts';

export interface TelegramSim {
  app: FastifyInstance;
  control: TelegramSimControl;
}

export function buildTelegramSim(options: TelegramSimOptions = {}): TelegramSim {
  const state = createTelegramState(resolveTelegramOptions(options));
  const app = simFastify({ logger: options.logger, tls: options.tls, bodyLimit: 10 * 1024 * 1024 });

  // A method call the bot returns in its webhook answer runs like any other call.
  const sender = new WebhookSender(state, async (method, params) => {
    const name = api.canonical(method);
    if (name) await api.call(name, params, new AbortController().signal);
  });
  const api = new BotApi(state, sender);
  const streams = new SentStreams();
  const control = createTelegramControl(state, sender);

  registerBotApi(app, state, api);
  registerTelegramControlRoutes(app, state, control, streams);

  app.addHook('preClose', async () => {
    // Held and waiting requests end now, so close() does not wait for them.
    state.updates.release();
    state.faults.close();
    streams.closeAll();
  });
  app.addHook('onClose', async () => {
    await sender.close();
  });
  return { app, control };
}
