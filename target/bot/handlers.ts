/**
 * The bot's commands, its /newhabit flow and the habit_done callback. Every
 * handler writes through `scopeOf(ctx).db`, the update's transaction.
 */
import { Composer, InlineKeyboard } from 'grammy';
import type { Habit } from '../repos/habits.ts';
import { createHabit, getHabit, listHabitsForUser } from '../repos/habits.ts';
import { markHabitDone } from '../repos/habit-completions.ts';
import { readAnalytics } from '../repos/analytics.ts';
import { purchaseSubscription } from '../repos/subscriptions.ts';
import type { Sabotage } from '../sabotage.ts';
import { findPlan, parseTopupAmount } from './command-args.ts';
import { clearConversation, getConversation, setConversation } from './conversations.ts';
import type { BotContext } from './context.ts';
import { scopeOf, TEXT } from './context.ts';

export interface SubscriptionPlan {
  /** Minor units. */
  price: number;
  periodDays: number;
}

/** What a top-up request answers; payments/'s TopupResult has this shape. */
/** `error` is shown to the user as it is: the payments side words it for them. */
export type BotTopupResult = { ok: true; confirmationUrl: string } | { ok: false; error: string };

/** The payments part, when wired: payments/'s PaymentService fits as it is. */
export interface BotPayments {
  /** Creates a top-up of `amount` minor units for user `userId` (users.id); answers where the user pays. */
  createTopup(userId: number, amount: number): Promise<BotTopupResult>;
}

export interface HandlerSettings {
  adminTelegramIds: ReadonlySet<number>;
  /** Conversation state older than this is ignored (C10); null: never. */
  staleStateTtlMs: number | null;
  plans: Readonly<Record<string, SubscriptionPlan>>;
  currency: string;
  payments: BotPayments | undefined;
  sabotage: Sabotage;
  now: () => Date;
  /** Called with the duration (seconds) of every admin dashboard read (L3's "DB query time"). */
  onAnalyticsRead?: (seconds: number) => void;
}

const NEW_HABIT_TITLE = 'newhabit:title';
const NEW_HABIT_TIME = 'newhabit:time';
const TIME_PATTERN = /^([01]?\d|2[0-3]):([0-5]\d)$/;
/** callback_data of the admin dashboard's Analytics button. */
export const ADMIN_ANALYTICS = 'admin:analytics';

/** The user's local day (YYYY-MM-DD) in `timeZone` at `at`. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export function doneKeyboard(habit: Pick<Habit, 'id' | 'title'>): InlineKeyboard {
  return new InlineKeyboard().text(`✅ ${habit.title}`.slice(0, 60), `habit_done:${habit.id}`);
}

function money(minor: number, currency: string): string {
  return `${(minor / 100).toFixed(2)} ${currency}`;
}

export function createHandlers(settings: HandlerSettings): Composer<BotContext> {
  const handlers = new Composer<BotContext>();
  // Under sabotage `fsm-reset` state never goes stale, so a stuck user stays stuck.
  const ttlMs = settings.sabotage.has('fsm-reset') ? null : settings.staleStateTtlMs;
  const isAdmin = (ctx: BotContext): boolean => ctx.from !== undefined && settings.adminTelegramIds.has(ctx.from.id);

  /** The dashboard's text. L3: the read touches analytics_metrics only, never the source tables, and is timed. */
  const analyticsReport = async (ctx: BotContext): Promise<string> => {
    const started = performance.now();
    const snapshot = await readAnalytics(scopeOf(ctx).db);
    settings.onAnalyticsRead?.((performance.now() - started) / 1000);
    const overall = snapshot.metrics.filter((metric) => metric.period === 'all');
    if (snapshot.refreshedAt === null || overall.length === 0) return TEXT.noAnalytics;
    const lines = overall.map((metric) => `${metric.key}: ${metric.value}`);
    return `Analytics (refreshed ${snapshot.refreshedAt.toISOString()})\n${lines.join('\n')}`;
  };

  handlers.command(['start', 'help'], async (ctx) => {
    const { db, user } = scopeOf(ctx);
    if (!settings.sabotage.has('fsm-reset')) await clearConversation(db, user.id);
    await ctx.reply(TEXT.welcome);
  });

  handlers.command('cancel', async (ctx) => {
    const { db, user } = scopeOf(ctx);
    // Sabotage `fsm-cancel`: the user hears "Cancelled" but the flow's state stays (L4).
    const had = settings.sabotage.has('fsm-cancel') ? (await getConversation(db, user.id, ttlMs)) !== null : await clearConversation(db, user.id);
    await ctx.reply(had ? TEXT.cancelled : TEXT.nothingToCancel);
  });

  handlers.command('newhabit', async (ctx) => {
    const { db, user } = scopeOf(ctx);
    await setConversation(db, user.id, NEW_HABIT_TITLE);
    await ctx.reply(TEXT.askTitle);
  });

  handlers.command('habits', async (ctx) => {
    const { db, user } = scopeOf(ctx);
    const habits = await listHabitsForUser(db, user.id);
    if (habits.length === 0) {
      await ctx.reply(TEXT.noHabits);
      return;
    }
    const keyboard = new InlineKeyboard();
    for (const habit of habits.slice(0, 50)) keyboard.text(`✅ ${habit.title}`.slice(0, 60), `habit_done:${habit.id}`).row();
    const lines = habits.map((habit) => `• ${habit.title}${habit.reminderTime ? ` (${habit.reminderTime} ${habit.timezone})` : ''} — done ${habit.completionCount}×`);
    await ctx.reply(lines.join('\n'), { reply_markup: keyboard });
  });

  handlers.command('analytics', async (ctx) => {
    await ctx.reply(isAdmin(ctx) ? await analyticsReport(ctx) : TEXT.adminsOnly);
  });

  // The admin dashboard (L3): a keyboard whose Analytics button admins click.
  handlers.command('admin', async (ctx) => {
    if (!isAdmin(ctx)) {
      await ctx.reply(TEXT.adminsOnly);
      return;
    }
    await ctx.reply(TEXT.adminDashboard, { reply_markup: new InlineKeyboard().text('📊 Analytics', ADMIN_ANALYTICS) });
  });

  handlers.callbackQuery(ADMIN_ANALYTICS, async (ctx) => {
    if (!isAdmin(ctx)) {
      await ctx.answerCallbackQuery({ text: TEXT.adminsOnly });
      return;
    }
    // The figures first: the message is the answer the admin waits for; then the spinner stops.
    await ctx.reply(await analyticsReport(ctx));
    await ctx.answerCallbackQuery();
  });

  handlers.command('balance', async (ctx) => {
    const { user } = scopeOf(ctx);
    await ctx.reply(`Your balance: ${money(user.balance, settings.currency)}`);
  });

  handlers.command('subscribe', async (ctx) => {
    const { db, user } = scopeOf(ctx);
    const planName = ctx.match.trim().toLowerCase();
    const plan = findPlan(settings.plans, planName);
    if (!plan) {
      const list = Object.entries(settings.plans).map(([name, p]) => `${name} — ${money(p.price, settings.currency)} for ${p.periodDays} days`);
      const head = planName === '' ? 'Usage: /subscribe <plan>.' : `Unknown plan "${planName.slice(0, 32)}". Usage: /subscribe <plan>.`;
      await ctx.reply(`${head} Plans:\n${list.join('\n')}`);
      return;
    }
    const result = await purchaseSubscription(db, { userId: user.id, plan: planName, price: plan.price, periodDays: plan.periodDays });
    if (result.status === 'insufficient_funds') {
      await ctx.reply(
        `Not enough money: the ${planName} plan costs ${money(result.price, settings.currency)}, your balance is ${money(result.balance, settings.currency)}. /topup adds money.`,
      );
      return;
    }
    await ctx.reply(
      `Subscribed to ${planName} until ${result.subscription.periodEnd.toISOString().slice(0, 10)}. Balance: ${money(result.balance, settings.currency)}.`,
    );
  });

  handlers.command('topup', async (ctx) => {
    const { user } = scopeOf(ctx);
    if (!settings.payments) {
      await ctx.reply(TEXT.paymentsUnavailable);
      return;
    }
    const amountMinor = parseTopupAmount(ctx.match);
    if (amountMinor === null) {
      await ctx.reply(TEXT.topupUsage);
      return;
    }
    // C5: on failure the user hears what went wrong (the payment service words it: timed out,
    // unavailable, refused; no money taken) and can try again; the payment row says failed.
    // A hook that throws has no such words: its message is internal, so the user gets the generic one.
    let reply: string;
    try {
      const offer = await settings.payments.createTopup(user.id, amountMinor);
      reply = offer.ok ? `Pay here: ${offer.confirmationUrl}` : offer.error.trim() || TEXT.topupFailed;
    } catch {
      reply = TEXT.topupFailed;
    }
    await ctx.reply(reply);
  });

  handlers.callbackQuery(/^habit_done:(\d{1,15})$/, async (ctx) => {
    const { db, user } = scopeOf(ctx);
    const habitId = Number(ctx.match[1]);
    const habit = await getHabit(db, habitId);
    if (!habit || habit.userId !== user.id || !habit.isActive) {
      await ctx.answerCallbackQuery({ text: TEXT.habitNotFound });
      return;
    }
    const result = await markHabitDone(db, habit.id, localDay(settings.now(), habit.timezone));
    await ctx.answerCallbackQuery({ text: result === 'done' ? TEXT.markedDone : TEXT.alreadyDone });
  });

  // Any other button: stop the client's spinner.
  handlers.on('callback_query', (ctx) => ctx.answerCallbackQuery());

  handlers.on('message:text', async (ctx) => {
    const { db, user } = scopeOf(ctx);
    const text = ctx.message.text.trim();
    const conversation = text.startsWith('/') ? null : await getConversation(db, user.id, ttlMs);
    if (!conversation) {
      await ctx.reply(TEXT.notUnderstood);
      return;
    }
    if (conversation.state === NEW_HABIT_TITLE) {
      if (text.length < 1 || text.length > 200) {
        await ctx.reply(TEXT.badTitle);
        return;
      }
      await setConversation(db, user.id, NEW_HABIT_TIME, { title: text });
      await ctx.reply(TEXT.askTime);
      return;
    }
    if (conversation.state === NEW_HABIT_TIME) {
      const match = TIME_PATTERN.exec(text);
      const none = /^(none|no|-)$/i.test(text);
      const title = conversation.data.title;
      if ((!match && !none) || typeof title !== 'string') {
        await ctx.reply(TEXT.badTime);
        return;
      }
      const reminderTime = match ? `${(match[1] ?? '').padStart(2, '0')}:${match[2] ?? '00'}` : null;
      // Two writes and a reply: if the reply fails, the update's transaction
      // takes both writes back and the user can simply send the time again.
      const habit = await createHabit(db, { userId: user.id, title, reminderTime });
      await clearConversation(db, user.id);
      await ctx.reply(`Habit "${habit.title}" created${reminderTime ? `, reminder at ${reminderTime} UTC` : ''}.`, { reply_markup: doneKeyboard(habit) });
      return;
    }
    // A state this version does not know (left by another version): drop it.
    await clearConversation(db, user.id);
    await ctx.reply(TEXT.notUnderstood);
  });

  return handlers;
}
