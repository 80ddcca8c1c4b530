/**
 * A local YooKassa API v3 for the target's payments and the harness: built
 * without listening (tests inject or listen on port 0; main.ts owns the socket).
 */
import type { FastifyInstance } from 'fastify';
import { simFastify } from '../shared/tls-listener.ts';
import { registerYooKassaApi } from './api-routes.ts';
import type { YooKassaSimControl } from './control.ts';
import { createYooKassaControl } from './control.ts';
import { registerYooKassaControlRoutes } from './control-routes.ts';
import type { YooKassaSimOptions } from './state.ts';
import { createYooKassaState, resolveYooKassaOptions } from './state.ts';

export type { YooKassaSimOptions } from './state.ts';
export type { YooKassaSimControl } from './control.ts';

export interface YooKassaSim {
  app: FastifyInstance;
  control: YooKassaSimControl;
}

export function buildYooKassaSim(options: YooKassaSimOptions = {}): YooKassaSim {
  const state = createYooKassaState(resolveYooKassaOptions(options));
  const app = simFastify({ logger: options.logger, tls: options.tls });
  const control = createYooKassaControl(state);
  registerYooKassaApi(app, state);
  registerYooKassaControlRoutes(app, state, control);
  app.addHook('preClose', async () => {
    // Held requests (hang, latency) are let go so close() does not wait for them.
    state.faults.close();
  });
  app.addHook('onClose', async () => {
    await state.deliverer.close();
  });
  return { app, control };
}
