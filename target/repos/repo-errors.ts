/** Errors the repositories raise for conditions a caller is expected to handle. */

/** The row a call refers to does not exist. */
export class NotFoundError extends Error {
  readonly entity: string;
  readonly key: string;

  constructor(entity: string, key: string | number) {
    super(`${entity} ${key} does not exist`);
    this.name = 'NotFoundError';
    this.entity = entity;
    this.key = String(key);
  }
}

/** An idempotency key was reused for a different request. */
export class IdempotencyConflictError extends Error {
  readonly idempotencyKey: string;

  constructor(idempotencyKey: string, difference: string) {
    super(`idempotency key "${idempotencyKey}" was already used for a different payment (${difference})`);
    this.name = 'IdempotencyConflictError';
    this.idempotencyKey = idempotencyKey;
  }
}

/** A payment is not in a state that allows what was asked. */
export class PaymentStateError extends Error {
  readonly paymentId: number;
  readonly status: string;

  constructor(paymentId: number, status: string, wanted: string) {
    super(`payment ${paymentId} is ${status}; cannot ${wanted}`);
    this.name = 'PaymentStateError';
    this.paymentId = paymentId;
    this.status = status;
  }
}

/** Input the database would refuse anyway, caught early with a readable message. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}
