/**
 * A grammY API transformer that counts every Telegram Bot API call (§7.6):
 * `telegram_api_calls_total{method, outcome}` with outcome `ok`, the error
 * code Telegram answered (`429`, `403`, `502`…) or `network_error` (no
 * answer: timeout, refused, aborted), and `telegram_api_429_total{method}`
 * for every 429. Install it once on each `Api` the process uses:
 * `api.config.use(telegramApiMetrics(metrics))`.
 */
import type { Transformer } from 'grammy';
import type { Metrics } from './registry.ts';

export function telegramApiMetrics(metrics: Pick<Metrics, 'telegramCalls' | 'telegram429'>): Transformer {
  return async (prev, method, payload, signal) => {
    let response: Awaited<ReturnType<typeof prev>>;
    try {
      response = await prev(method, payload, signal);
    } catch (error) {
      metrics.telegramCalls.inc({ method, outcome: 'network_error' });
      throw error;
    }
    if (response.ok) {
      metrics.telegramCalls.inc({ method, outcome: 'ok' });
    } else {
      metrics.telegramCalls.inc({ method, outcome: String(response.error_code) });
      if (response.error_code === 429) metrics.telegram429.inc({ method });
    }
    return response;
  };
}
