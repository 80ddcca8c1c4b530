/**
 * Buying a subscription from the balance (L10). The balance row is locked
 * while it is checked and debited, so concurrent purchases and top-ups take
 * turns and the balance can neither go negative nor be spent twice.
 */
import type pg from 'pg';
import type { Db } from '../db/handle.ts';
import { queryRepeatable } from '../db/query.ts';
import { toSafeInteger } from '../db/sql-values.ts';
import { withTransaction } from '../db/transaction.ts';
import { InvalidInputError, NotFoundError } from './repo-errors.ts';

export interface Subscription {
  id: number;
  userId: number;
  plan: string;
  /** Minor units. */
  price: number;
  periodStart: Date;
  periodEnd: Date;
  createdAt: Date;
}

export type PurchaseResult =
  | { status: 'purchased'; subscription: Subscription; balance: number }
  | { status: 'insufficient_funds'; balance: number; price: number };

export interface PurchaseRequest {
  userId: number;
  plan: string;
  price: number;
  /** Length of the period bought; default 30 days. */
  periodDays?: number;
}

type SubscriptionRow = { id: string; user_id: string; plan: string; price: string; period_start: Date; period_end: Date; created_at: Date };

const SUBSCRIPTION_COLUMNS = 'id, user_id, plan, price, period_start, period_end, created_at';

function subscriptionFromRow(row: SubscriptionRow): Subscription {
  return {
    id: toSafeInteger(row.id, 'subscriptions.id'),
    userId: toSafeInteger(row.user_id, 'subscriptions.user_id'),
    plan: row.plan,
    price: toSafeInteger(row.price, 'subscriptions.price'),
    periodStart: row.period_start,
    periodEnd: row.period_end,
    createdAt: row.created_at,
  };
}

/**
 * Debits `price` from the user's balance and records the subscription and
 * its ledger debit, all or nothing. A new period starts when the user's
 * latest one ends (or now). Answers 'insufficient_funds' instead of letting
 * the balance go negative.
 *
 * Not retried on a dead connection: a purchase is not idempotent, and a
 * COMMIT whose reply was lost may have gone through.
 *
 * Sabotage `balance-guard`: the balance is read without a lock and written
 * back as "what I read minus the price". Two purchases that read the same
 * balance both succeed and the second write hides the first debit (and any
 * top-up in between): the user gets two subscriptions for one price, and the
 * balance no longer equals credits − debits. The CHECK never fires, because
 * the value written is not negative; the damage is silent.
 */
export async function purchaseSubscription(db: Db, request: PurchaseRequest): Promise<PurchaseResult> {
  const periodDays = request.periodDays ?? 30;
  if (!Number.isSafeInteger(request.price) || request.price <= 0) throw new InvalidInputError(`price must be a positive integer of minor units, got ${request.price}`);
  if (!Number.isInteger(periodDays) || periodDays < 1 || periodDays > 3660) throw new InvalidInputError('periodDays must be an integer from 1 to 3660');
  const unguarded = db.sabotage.has('balance-guard');

  return withTransaction(db.pool, async (client) => {
    const { rows } = await client.query<{ balance: string }>(
      unguarded ? 'SELECT balance FROM users WHERE id = $1' : 'SELECT balance FROM users WHERE id = $1 FOR NO KEY UPDATE',
      [request.userId],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('user', request.userId);
    const balance = toSafeInteger(row.balance, 'users.balance');
    if (balance < request.price) return { status: 'insufficient_funds', balance, price: request.price };

    const subscription = await insertSubscription(client, request, periodDays);
    await client.query(`INSERT INTO balance_ledger (user_id, kind, amount, subscription_id) VALUES ($1, 'debit', $2, $3)`, [
      request.userId,
      request.price,
      subscription.id,
    ]);
    const debited = unguarded
      ? await client.query<{ balance: string }>('UPDATE users SET balance = $2, updated_at = now() WHERE id = $1 RETURNING balance', [
          request.userId,
          balance - request.price,
        ])
      : await client.query<{ balance: string }>('UPDATE users SET balance = balance - $2, updated_at = now() WHERE id = $1 RETURNING balance', [
          request.userId,
          request.price,
        ]);
    return { status: 'purchased', subscription, balance: toSafeInteger(debited.rows[0]?.balance, 'users.balance') };
  });
}

async function insertSubscription(client: pg.PoolClient, request: PurchaseRequest, periodDays: number): Promise<Subscription> {
  const { rows } = await client.query<SubscriptionRow>(
    `WITH start AS (
       SELECT greatest(now(), coalesce(max(period_end), now())) AS at FROM subscriptions WHERE user_id = $1
     )
     INSERT INTO subscriptions (user_id, plan, price, period_start, period_end)
     SELECT $1, $2, $3, start.at, start.at + make_interval(days => $4) FROM start
     RETURNING ${SUBSCRIPTION_COLUMNS}`,
    [request.userId, request.plan, request.price, periodDays],
  );
  const row = rows[0];
  if (!row) throw new Error('insert of a subscription returned no row');
  return subscriptionFromRow(row);
}

/** The user's subscriptions, latest period last. Repeatable. */
export async function listSubscriptionsForUser(db: Db, userId: number): Promise<Subscription[]> {
  const { rows } = await queryRepeatable<SubscriptionRow>(db, `SELECT ${SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE user_id = $1 ORDER BY period_end, id`, [
    userId,
  ]);
  return rows.map(subscriptionFromRow);
}
