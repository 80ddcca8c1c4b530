/**
 * A Telegram simulator on a free port and a raw Bot API caller for tests.
 */
import assert from 'node:assert/strict';
import type { TelegramSim, TelegramSimOptions } from '../../target/sims/telegram/sim.ts';
import { buildTelegramSim } from '../../target/sims/telegram/sim.ts';
import type { TgEnvelope } from '../../target/sims/telegram/types.ts';
import type { JsonAnswer } from './helpers.ts';
import { listen, requestJson } from './helpers.ts';

export const TOKEN = '7000000001:AAHsimulatedTokenForChaosctlTests000';

export interface RunningTelegram extends TelegramSim {
  url: string;
  /** POSTs a JSON Bot API call, as grammY does. */
  api(method: string, params?: Record<string, unknown>): Promise<JsonAnswer<TgEnvelope>>;
  control$(path: string, body?: unknown, method?: string): Promise<JsonAnswer>;
  close(): Promise<void>;
}

export async function startTelegram(options: TelegramSimOptions = {}): Promise<RunningTelegram> {
  const sim = buildTelegramSim({ token: TOKEN, ...options });
  const url = await listen(sim.app);
  return {
    ...sim,
    url,
    api: (method, params = {}) => requestJson<TgEnvelope>(`${url}/bot${TOKEN}/${method}`, { body: params }),
    control$: (path, body, method) => requestJson(`${url}/_sim${path}`, { body, ...(method ? { method } : {}) }),
    close: () => sim.app.close(),
  };
}

/** The result of a successful call; fails the test with the description otherwise. */
export function resultOf<T>(answer: JsonAnswer<TgEnvelope>): T {
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.ok(answer.body.ok, JSON.stringify(answer.body));
  return answer.body.result as T;
}

/** Asserts a Bot API error with its exact status, code and description. */
export function assertTgError(answer: JsonAnswer<TgEnvelope>, code: number, description: string | RegExp): void {
  assert.equal(answer.status, code, JSON.stringify(answer.body));
  assert.equal(answer.body.ok, false);
  if (answer.body.ok) return;
  assert.equal(answer.body.error_code, code);
  if (typeof description === 'string') assert.equal(answer.body.description, description);
  else assert.match(answer.body.description, description);
}
