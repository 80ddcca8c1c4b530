/** The notifier's public surface, for target/main.ts and the scheduler. */
export { createTelegramNotifier } from './notifier.ts';
export type { TelegramNotifierDeps, TelegramNotifierOptions } from './notifier.ts';
