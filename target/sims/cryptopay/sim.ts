/**
 * A local Crypto Pay API (@CryptoBot) for the target's payments and the
 * harness: built without listening (tests inject or listen on port 0;
 * main.ts owns the socket).
 */
import type { FastifyInstance } from 'fastify';
import { simFastify } from '../shared/tls-listener.ts';
import { registerCryptoPayApi } from './api-routes.ts';
import type { CryptoPaySimControl } from './control.ts';
import { createCryptoPayControl } from './control.ts';
import { registerCryptoPayControlRoutes } from './control-routes.ts';
import type { CryptoPaySimOptions } from './state.ts';
import { createCryptoPayState, resolveCryptoPayOptions } from './state.ts';

export type { CryptoPaySimOptions } from './state.ts';
export type { CryptoPaySimControl } from './control.ts';

export interface CryptoPaySim {
  app: FastifyInstance;
  control: CryptoPaySimControl;
}

export function buildCryptoPaySim(options: CryptoPaySimOptions = {}): CryptoPaySim {
  const state = createCryptoPayState(resolveCryptoPayOptions(options));
  const app = simFastify({ logger: options.logger, tls: options.tls });
  const control = createCryptoPayControl(state);
  registerCryptoPayApi(app, state);
  registerCryptoPayControlRoutes(app, state, control);
  app.addHook('preClose', async () => {
    // Held requests (hang, latency) are let go so close() does not wait for them.
    state.faults.close();
  });
  app.addHook('onClose', async () => {
    await state.deliverer.close();
  });
  return { app, control };
}
