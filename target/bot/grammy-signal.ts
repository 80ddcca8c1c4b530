/**
 * grammY declares its `signal` parameters with the AbortSignal type of the
 * `abort-controller` polyfill; at run time it passes Node's own AbortSignal
 * straight to fetch. This converts the type only.
 */
import type { Api } from 'grammy';

export type GrammySignal = NonNullable<Parameters<Api['getMe']>[0]>;

export function grammySignal(signal: AbortSignal): GrammySignal {
  return signal as unknown as GrammySignal;
}
