/** The bot's public surface, for target/main.ts. */
export { createBot, DEFAULT_PLANS } from './create-bot.ts';
export type { BotConfig, CreateBotDeps, HabitBot } from './create-bot.ts';
export type { BotPayments, BotTopupResult, SubscriptionPlan } from './handlers.ts';
export type { PollerOptions, PollerStatus } from './poller.ts';
export { createBotReachability } from './reachability.ts';
export type { BotReachabilityOptions } from './reachability.ts';
export { MemoryRateLimitStore } from './throttle.ts';
export type { RateLimitStore } from './throttle.ts';
export { TEXT as BOT_TEXT } from './context.ts';
export { RedisRateLimitStore } from './redis-rate-limit-store.ts';
export type { RedisRateLimitStoreOptions } from './redis-rate-limit-store.ts';
