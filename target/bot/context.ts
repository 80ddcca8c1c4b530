/**
 * What the bot's middlewares add to grammY's context, and the texts the bot
 * sends that tests and scenarios look for.
 */
import type { Context } from 'grammy';
import type { Db } from '../db/handle.ts';
import type { User } from '../repos/users.ts';

export interface UpdateScope {
  /** The sender as a row of `users`, registered or refreshed for this update. */
  user: User;
  /** The Db every handler write goes through: the update's transaction (or the plain pool under sabotage `rollback`). */
  db: Db;
}

export type BotContext = Context & { scope?: UpdateScope };

/** The scope set by the user-context middleware; handlers run only after it. */
export function scopeOf(ctx: BotContext): UpdateScope {
  if (!ctx.scope) throw new Error('the user-context middleware did not run for this update');
  return ctx.scope;
}

export const TEXT = {
  error: 'Something went wrong, please try again.',
  welcome:
    'Welcome to the habit tracker!\n/newhabit — track a new habit\n/habits — your habits\n/balance — your balance\n/subscribe <plan> — buy a subscription\n/topup <amount> — top up\n/cancel — stop what you are doing',
  askTitle: 'What habit do you want to track? Send its name, or /cancel.',
  badTitle: 'A habit name is 1 to 200 characters. Send it again, or /cancel.',
  askTime: 'When should I remind you? Send a time as HH:MM (UTC), or "none". /cancel stops.',
  badTime: 'I need a time as HH:MM, like 07:30, or "none". /cancel stops.',
  cancelled: 'Cancelled. Nothing was saved.',
  nothingToCancel: 'Nothing to cancel.',
  notUnderstood: 'I did not get that. /newhabit starts a new habit; /start shows what I can do.',
  noHabits: 'You have no habits yet. /newhabit adds one.',
  markedDone: 'Done for today ✅',
  alreadyDone: 'Already done today',
  habitNotFound: 'That habit does not exist any more.',
  adminsOnly: 'This command is for admins only.',
  adminDashboard: 'Admin dashboard. Analytics shows the latest figures.',
  noAnalytics: 'No analytics yet: the refresh job has not run.',
  paymentsUnavailable: 'Payments are unavailable right now. Please try again later.',
  topupUsage: 'Usage: /topup <amount>, for example /topup 500',
  topupFailed: 'Could not create the payment. Please try again.',
} as const;
