/** Small builders for repository tests. */
import type { Db } from '../../../target/db/handle.ts';
import { queryOnce } from '../../../target/db/query.ts';
import { creditPayment } from '../../../target/repos/payment-credits.ts';
import { createPendingPayment, markPaymentSucceeded } from '../../../target/repos/payments.ts';
import type { Payment, PaymentProvider } from '../../../target/repos/payments.ts';
import { registerOrGetUser } from '../../../target/repos/users.ts';
import type { User } from '../../../target/repos/users.ts';

let telegramIds = 100_000;

/** A new user with a unique Telegram id. */
export async function newUser(db: Db, username?: string): Promise<User> {
  telegramIds += 1;
  const { user } = await registerOrGetUser(db, { telegramId: telegramIds, username: username ?? `user${telegramIds}` });
  return user;
}

let keys = 0;

/** A succeeded top-up payment of `amount` for `userId` (not credited yet). */
export async function succeededPayment(db: Db, userId: number, amount: number, provider: PaymentProvider = 'yookassa'): Promise<Payment> {
  keys += 1;
  const { payment } = await createPendingPayment(db, { idempotencyKey: `test-${process.pid}-${keys}`, userId, provider, amount, purpose: 'topup' });
  return (await markPaymentSucceeded(db, payment.id)).payment;
}

/** Gives `userId` a credited balance of `amount` through a real payment. */
export async function fundUser(db: Db, userId: number, amount: number): Promise<Payment> {
  const payment = await succeededPayment(db, userId, amount);
  await creditPayment(db, payment.id);
  return payment;
}

/** Inserts `count` users with `habitsPerUser` habits each, all due at `reminderTime` in `timezone`, in a few statements. */
export async function bulkHabits(db: Db, options: { users: number; habitsPerUser: number; reminderTime: string; timezone?: string; telegramIdBase: number }): Promise<void> {
  await queryOnce(
    db,
    `WITH new_users AS (
       INSERT INTO users (telegram_id, username)
       SELECT $1::bigint + n, 'bulk' || ($1::bigint + n) FROM generate_series(1, $2::int) AS n
       RETURNING id
     )
     INSERT INTO habits (user_id, title, reminder_time, timezone)
     SELECT u.id, 'habit ' || k, $4::time, $5 FROM new_users u, generate_series(1, $3::int) AS k`,
    [options.telegramIdBase, options.users, options.habitsPerUser, options.reminderTime, options.timezone ?? 'UTC'],
  );
}
