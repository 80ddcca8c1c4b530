/**
 * Payments through YooKassa and Crypto Pay: created pending under our
 * idempotency key before the provider is called (L8), then given the
 * provider's id, then settled by a webhook (L9) or failed (C5).
 */
import type { Db } from '../db/handle.ts';
import { queryRepeatable } from '../db/query.ts';
import { sqlState, toSafeInteger, violatedConstraint } from '../db/sql-values.ts';
import { IdempotencyConflictError, InvalidInputError, NotFoundError, PaymentStateError } from './repo-errors.ts';

export const PAYMENT_PROVIDERS = ['yookassa', 'cryptopay'] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];
export const PAYMENT_STATUSES = ['pending', 'succeeded', 'canceled', 'failed'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export const PAYMENT_PURPOSES = ['topup', 'subscription'] as const;
export type PaymentPurpose = (typeof PAYMENT_PURPOSES)[number];

export interface Payment {
  id: number;
  userId: number;
  provider: PaymentProvider;
  providerPaymentId: string | null;
  idempotencyKey: string;
  /** Minor units. */
  amount: number;
  currency: string;
  status: PaymentStatus;
  purpose: PaymentPurpose;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  succeededAt: Date | null;
}

export interface NewPayment {
  /** Ours, sent to the provider as its Idempotence-Key too. A retry after a failure needs a new one. */
  idempotencyKey: string;
  userId: number;
  provider: PaymentProvider;
  amount: number;
  /** Default RUB. */
  currency?: string;
  purpose: PaymentPurpose;
}

/** A status change: the row after it, and whether this call changed anything. */
export interface PaymentTransition {
  payment: Payment;
  changed: boolean;
}

type PaymentRow = {
  id: string;
  user_id: string;
  provider: PaymentProvider;
  provider_payment_id: string | null;
  idempotency_key: string;
  amount: string;
  currency: string;
  status: PaymentStatus;
  purpose: PaymentPurpose;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  succeeded_at: Date | null;
};

const PAYMENT_COLUMNS =
  'id, user_id, provider, provider_payment_id, idempotency_key, amount, currency, status, purpose, last_error, created_at, updated_at, succeeded_at';

function paymentFromRow(row: PaymentRow): Payment {
  return {
    id: toSafeInteger(row.id, 'payments.id'),
    userId: toSafeInteger(row.user_id, 'payments.user_id'),
    provider: row.provider,
    providerPaymentId: row.provider_payment_id,
    idempotencyKey: row.idempotency_key,
    amount: toSafeInteger(row.amount, 'payments.amount'),
    currency: row.currency,
    status: row.status,
    purpose: row.purpose,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    succeededAt: row.succeeded_at,
  };
}

/**
 * Creates the pending payment, or returns the one already created under the
 * same idempotency key (`created: false`), so 20 concurrent or repeated
 * requests make one payment (L8). Throws IdempotencyConflictError when the
 * key was used for a different user, provider, amount, currency or purpose.
 * Repeatable: both statements are.
 */
export async function createPendingPayment(db: Db, input: NewPayment): Promise<{ payment: Payment; created: boolean }> {
  const currency = input.currency ?? 'RUB';
  if (input.idempotencyKey.trim() === '') throw new InvalidInputError('an idempotency key must not be empty');
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new InvalidInputError(`amount must be a positive integer of minor units, got ${input.amount}`);
  let inserted: PaymentRow | undefined;
  try {
    const result = await queryRepeatable<PaymentRow>(
      db,
      `INSERT INTO payments (idempotency_key, user_id, provider, amount, currency, purpose)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT ON CONSTRAINT payments_idempotency_key_unique DO NOTHING
       RETURNING ${PAYMENT_COLUMNS}`,
      [input.idempotencyKey, input.userId, input.provider, input.amount, currency, input.purpose],
    );
    inserted = result.rows[0];
  } catch (error) {
    if (sqlState(error) === '23503') throw new NotFoundError('user', input.userId);
    throw error;
  }
  if (inserted) return { payment: paymentFromRow(inserted), created: true };

  // Someone else holds the key. ON CONFLICT waited for their transaction, so
  // this statement's fresh snapshot sees their row.
  const existing = await findPaymentByIdempotencyKey(db, input.idempotencyKey);
  if (!existing) throw new Error(`payment with idempotency key "${input.idempotencyKey}" conflicted but cannot be read`);
  const differences = (
    [
      ['user', existing.userId, input.userId],
      ['provider', existing.provider, input.provider],
      ['amount', existing.amount, input.amount],
      ['currency', existing.currency, currency],
      ['purpose', existing.purpose, input.purpose],
    ] as const
  ).filter(([, stored, requested]) => stored !== requested);
  if (differences.length > 0) {
    throw new IdempotencyConflictError(input.idempotencyKey, differences.map(([field, stored, requested]) => `${field} ${stored} ≠ ${requested}`).join(', '));
  }
  return { payment: existing, created: false };
}

export async function getPayment(db: Db, paymentId: number): Promise<Payment | null> {
  const { rows } = await queryRepeatable<PaymentRow>(db, `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = $1`, [paymentId]);
  return rows[0] ? paymentFromRow(rows[0]) : null;
}

export async function findPaymentByIdempotencyKey(db: Db, idempotencyKey: string): Promise<Payment | null> {
  const { rows } = await queryRepeatable<PaymentRow>(db, `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE idempotency_key = $1`, [idempotencyKey]);
  return rows[0] ? paymentFromRow(rows[0]) : null;
}

/** The payment a webhook is about. */
export async function findPaymentByProviderId(db: Db, provider: PaymentProvider, providerPaymentId: string): Promise<Payment | null> {
  const { rows } = await queryRepeatable<PaymentRow>(
    db,
    `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE provider = $1 AND provider_payment_id = $2`,
    [provider, providerPaymentId],
  );
  return rows[0] ? paymentFromRow(rows[0]) : null;
}

async function requirePayment(db: Db, paymentId: number): Promise<Payment> {
  const payment = await getPayment(db, paymentId);
  if (!payment) throw new NotFoundError('payment', paymentId);
  return payment;
}

/**
 * Stores the provider's id for our payment. Repeatable: storing the same id
 * again is a no-op. Throws PaymentStateError when the payment already has a
 * different one; when another payment already has this id, the database's
 * unique violation propagates (see isDuplicateProviderId).
 */
export async function recordProviderId(db: Db, paymentId: number, providerPaymentId: string): Promise<Payment> {
  const { rows } = await queryRepeatable<PaymentRow>(
    db,
    `UPDATE payments SET provider_payment_id = $2, updated_at = now()
     WHERE id = $1 AND (provider_payment_id IS NULL OR provider_payment_id = $2)
     RETURNING ${PAYMENT_COLUMNS}`,
    [paymentId, providerPaymentId],
  );
  if (rows[0]) return paymentFromRow(rows[0]);
  const payment = await requirePayment(db, paymentId);
  throw new PaymentStateError(paymentId, `already linked to provider payment ${payment.providerPaymentId ?? '?'}`, `link it to ${providerPaymentId}`);
}

/**
 * create_payment failed (provider error, timeout: C5). Only a pending payment
 * becomes failed; a settled one is left alone (`changed: false`). Repeatable.
 */
export async function markPaymentFailed(db: Db, paymentId: number, error: string): Promise<PaymentTransition> {
  const { rows } = await queryRepeatable<PaymentRow>(
    db,
    `UPDATE payments SET status = 'failed', last_error = $2, updated_at = now()
     WHERE id = $1 AND status = 'pending'
     RETURNING ${PAYMENT_COLUMNS}`,
    [paymentId, error],
  );
  if (rows[0]) return { payment: paymentFromRow(rows[0]), changed: true };
  return { payment: await requirePayment(db, paymentId), changed: false };
}

/**
 * The provider says the money arrived. pending or failed become succeeded;
 * succeeded stays (`changed: false`); canceled throws PaymentStateError.
 * Repeatable. Crediting the balance is creditPayment's job.
 */
export async function markPaymentSucceeded(db: Db, paymentId: number): Promise<PaymentTransition> {
  const { rows } = await queryRepeatable<PaymentRow>(
    db,
    `UPDATE payments SET status = 'succeeded', succeeded_at = now(), updated_at = now()
     WHERE id = $1 AND status IN ('pending', 'failed')
     RETURNING ${PAYMENT_COLUMNS}`,
    [paymentId],
  );
  if (rows[0]) return { payment: paymentFromRow(rows[0]), changed: true };
  const payment = await requirePayment(db, paymentId);
  if (payment.status !== 'succeeded') throw new PaymentStateError(paymentId, payment.status, 'mark it succeeded');
  return { payment, changed: false };
}

/** The provider says the payment was canceled. pending or failed become canceled; succeeded throws. Repeatable. */
export async function markPaymentCanceled(db: Db, paymentId: number, reason?: string): Promise<PaymentTransition> {
  const { rows } = await queryRepeatable<PaymentRow>(
    db,
    `UPDATE payments SET status = 'canceled', last_error = coalesce($2, last_error), updated_at = now()
     WHERE id = $1 AND status IN ('pending', 'failed')
     RETURNING ${PAYMENT_COLUMNS}`,
    [paymentId, reason ?? null],
  );
  if (rows[0]) return { payment: paymentFromRow(rows[0]), changed: true };
  const payment = await requirePayment(db, paymentId);
  if (payment.status !== 'canceled') throw new PaymentStateError(paymentId, payment.status, 'cancel it');
  return { payment, changed: false };
}

/** True when `error` is the database refusing a second payment with the same provider id. */
export function isDuplicateProviderId(error: unknown): boolean {
  return violatedConstraint(error) === 'payments_provider_payment_id_unique';
}
