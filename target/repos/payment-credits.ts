/**
 * Crediting a succeeded payment to its user's balance: exactly once per
 * payment, however many webhooks arrive and however concurrently (C7, L9,
 * L10). The ledger row and the balance change commit together.
 */
import type pg from 'pg';
import type { Db } from '../db/handle.ts';
import { queryRepeatable, retryOnceIfConnectionDied } from '../db/query.ts';
import { toSafeInteger } from '../db/sql-values.ts';
import { withTransaction } from '../db/transaction.ts';
import { NotFoundError, PaymentStateError } from './repo-errors.ts';

export type CreditResult = 'credited' | 'already';

type PaymentForCredit = { user_id: string; amount: string; status: string };

/**
 * Adds the payment's amount to its user's balance unless this payment was
 * credited before. In one transaction: lock the payment row, insert the
 * ledger credit (unique per payment), and only if that insert happened, add
 * to the balance. Duplicate webhooks queue on the payment's row lock and then
 * find the credit: 'already'.
 *
 * The whole transaction is idempotent, so it is retried once when its
 * connection dies; if the first attempt had committed, the retry answers
 * 'already'. Throws PaymentStateError unless the payment has succeeded.
 *
 * Within one process, calls for the same payment also take turns on a
 * local lock first: a burst of duplicates then holds one pool connection
 * instead of several queued on the same row lock. That lock means nothing to
 * a second process; the row lock and the unique ledger insert are what keep
 * several instances (B3/B4 scale-out) to one credit.
 *
 * Sabotage `ledger-idempotency`: no lock, and the balance is raised whether
 * or not the ledger insert happened. The ledger still shows one credit, the
 * balance shows one per call: users.balance no longer equals the ledger sum.
 *
 * Sabotage `credit-local-lock`: the local lock is all there is. A plain read
 * ("is there a credit?") decides, with no row lock, and the balance is raised
 * whenever that read found none. Sequential duplicates and duplicates inside
 * one process still see the first credit; two processes reading at the same
 * moment both find none and both raise the balance.
 */
export function creditPayment(db: Db, paymentId: number): Promise<CreditResult> {
  if (db.sabotage.has('ledger-idempotency')) return withTransaction(db.pool, (client) => creditWithoutGuard(client, paymentId));
  if (db.sabotage.has('credit-race')) return withTransaction(db.pool, (client) => creditCheckThenAct(client, paymentId));
  if (db.sabotage.has('credit-local-lock')) return inTurn(paymentId, () => withTransaction(db.pool, (client) => creditCheckThenAct(client, paymentId)));
  return inTurn(paymentId, () => retryOnceIfConnectionDied(db, () => withTransaction(db.pool, (client) => creditOnce(client, paymentId))));
}

/** The tail of the queue of credits per payment id in this process. */
const creditQueues = new Map<number, Promise<unknown>>();

/** Runs `work` after every earlier call for the same payment in this process has settled. */
export function inTurn<T>(paymentId: number, work: () => Promise<T>): Promise<T> {
  const before = creditQueues.get(paymentId) ?? Promise.resolve();
  const mine = before.then(work, work);
  const tail = mine.catch(() => undefined);
  creditQueues.set(paymentId, tail);
  // The last one out removes the entry, so the map holds only payments being credited now.
  void tail.then(() => {
    if (creditQueues.get(paymentId) === tail) creditQueues.delete(paymentId);
  });
  return mine;
}

async function creditOnce(client: pg.PoolClient, paymentId: number): Promise<CreditResult> {
  const { rows } = await client.query<PaymentForCredit>('SELECT user_id, amount, status FROM payments WHERE id = $1 FOR UPDATE', [paymentId]);
  const payment = rows[0];
  if (!payment) throw new NotFoundError('payment', paymentId);
  if (payment.status !== 'succeeded') throw new PaymentStateError(paymentId, payment.status, 'credit it');

  const credit = await client.query(
    `INSERT INTO balance_ledger (user_id, kind, amount, payment_id) VALUES ($1, 'credit', $2, $3)
     ON CONFLICT ON CONSTRAINT balance_ledger_one_credit_per_payment DO NOTHING`,
    [payment.user_id, payment.amount, paymentId],
  );
  if ((credit.rowCount ?? 0) === 0) return 'already';
  await client.query('UPDATE users SET balance = balance + $2, updated_at = now() WHERE id = $1', [payment.user_id, payment.amount]);
  return 'credited';
}

async function creditWithoutGuard(client: pg.PoolClient, paymentId: number): Promise<CreditResult> {
  const { rows } = await client.query<PaymentForCredit>('SELECT user_id, amount, status FROM payments WHERE id = $1', [paymentId]);
  const payment = rows[0];
  if (!payment) throw new NotFoundError('payment', paymentId);
  if (payment.status !== 'succeeded') throw new PaymentStateError(paymentId, payment.status, 'credit it');
  await client.query(
    `INSERT INTO balance_ledger (user_id, kind, amount, payment_id) VALUES ($1, 'credit', $2, $3)
     ON CONFLICT ON CONSTRAINT balance_ledger_one_credit_per_payment DO NOTHING`,
    [payment.user_id, payment.amount, paymentId],
  );
  await client.query('UPDATE users SET balance = balance + $2, updated_at = now() WHERE id = $1', [payment.user_id, payment.amount]);
  return 'credited';
}

/**
 * Sabotage `credit-race`: the classic check-then-act. It asks whether the payment was
 * credited with a plain read (no lock on the payment), raises the balance, then writes the
 * ledger row. A duplicate that comes after the original committed sees the credit and
 * answers 'already'; one that arrives while the original is still in its transaction reads
 * "not yet", waits on the user's row, and raises the balance a second time (its ledger
 * insert then finds the original's row and does nothing). Sabotage `credit-local-lock` runs
 * the same credit inside the in-process queue: one process then never races itself, and
 * only two instances crediting the same payment at once raise the balance twice.
 */
async function creditCheckThenAct(client: pg.PoolClient, paymentId: number): Promise<CreditResult> {
  const { rows } = await client.query<PaymentForCredit>('SELECT user_id, amount, status FROM payments WHERE id = $1', [paymentId]);
  const payment = rows[0];
  if (!payment) throw new NotFoundError('payment', paymentId);
  if (payment.status !== 'succeeded') throw new PaymentStateError(paymentId, payment.status, 'credit it');
  const earlier = await client.query('SELECT 1 FROM balance_ledger WHERE payment_id = $1', [paymentId]);
  if ((earlier.rowCount ?? 0) > 0) return 'already';
  await client.query('UPDATE users SET balance = balance + $2, updated_at = now() WHERE id = $1', [payment.user_id, payment.amount]);
  await client.query(
    `INSERT INTO balance_ledger (user_id, kind, amount, payment_id) VALUES ($1, 'credit', $2, $3)
     ON CONFLICT ON CONSTRAINT balance_ledger_one_credit_per_payment DO NOTHING`,
    [payment.user_id, payment.amount, paymentId],
  );
  return 'credited';
}

/** A user's ledger totals beside the stored balance: the L10 invariant is balance = credits − debits. Read-only, repeatable. */
export interface BalanceAudit {
  balance: number;
  credits: number;
  debits: number;
  creditCount: number;
  debitCount: number;
}

export async function auditBalance(db: Db, userId: number): Promise<BalanceAudit> {
  const { rows } = await queryRepeatable<{ balance: string; credits: string; debits: string; credit_count: string; debit_count: string }>(
    db,
    `SELECT u.balance,
            coalesce(sum(l.amount) FILTER (WHERE l.kind = 'credit'), 0) AS credits,
            coalesce(sum(l.amount) FILTER (WHERE l.kind = 'debit'), 0) AS debits,
            count(*) FILTER (WHERE l.kind = 'credit') AS credit_count,
            count(*) FILTER (WHERE l.kind = 'debit') AS debit_count
     FROM users u LEFT JOIN balance_ledger l ON l.user_id = u.id
     WHERE u.id = $1
     GROUP BY u.id`,
    [userId],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('user', userId);
  return {
    balance: toSafeInteger(row.balance, 'users.balance'),
    credits: toSafeInteger(row.credits, 'credits'),
    debits: toSafeInteger(row.debits, 'debits'),
    creditCount: toSafeInteger(row.credit_count, 'credit_count'),
    debitCount: toSafeInteger(row.debit_count, 'debit_count'),
  };
}
