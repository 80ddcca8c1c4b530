/**
 * BotReachability for /health (seed L7, C4): can the bot reach Telegram right
 * now? One getMe bounded by a short timeout, its answer kept for a moment,
 * and concurrent checks sharing one call, so 100 /health requests a second
 * cost at most one getMe per `cacheMs`.
 */
import type { Api, RawApi } from 'grammy';
import { GrammyError } from 'grammy';
import type { BotReachability } from '../contracts.ts';
import { grammySignal } from './grammy-signal.ts';

export interface BotReachabilityOptions {
  /** getMe bound (default 800 ms: the seed wants an answer under 1 s). */
  timeoutMs?: number;
  /** How long an answer is reused (default 2000 ms). */
  cacheMs?: number;
  /** Epoch ms; replaceable in tests. */
  now?: () => number;
}

type CheckResult = Awaited<ReturnType<BotReachability['check']>>;

function describe(error: unknown, timeoutMs: number, signal: AbortSignal): string {
  if (signal.aborted) return `getMe timed out after ${timeoutMs} ms`;
  if (error instanceof GrammyError) return `getMe failed: ${error.error_code} ${error.description}`;
  return `getMe failed: ${error instanceof Error ? error.message : String(error)}`;
}

export function createBotReachability(api: Api<RawApi>, options: BotReachabilityOptions = {}): BotReachability {
  const timeoutMs = options.timeoutMs ?? 800;
  const cacheMs = options.cacheMs ?? 2000;
  const now = options.now ?? Date.now;
  let cached: { at: number; result: CheckResult } | null = null;
  let pending: Promise<CheckResult> | null = null;

  const probe = async (): Promise<CheckResult> => {
    const started = now();
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      await api.getMe(grammySignal(signal));
      return { ok: true, latencyMs: now() - started };
    } catch (error) {
      return { ok: false, latencyMs: now() - started, error: describe(error, timeoutMs, signal) };
    }
  };

  return {
    check() {
      if (cached && now() - cached.at < cacheMs) return Promise.resolve(cached.result);
      pending ??= probe().then((result) => {
        cached = { at: now(), result };
        pending = null;
        return result;
      });
      return pending;
    },
  };
}
