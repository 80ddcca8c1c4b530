-- Payments, subscriptions and the balance ledger (L8, L9, L10, C5, C7).

CREATE TABLE payments (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  provider text NOT NULL,
  -- The provider's id, known once create_payment answered; NULL before.
  provider_payment_id text,
  -- Our key for create_payment (L8): a repeated request finds this row.
  idempotency_key text NOT NULL,
  amount bigint NOT NULL,
  currency text NOT NULL DEFAULT 'RUB',
  status text NOT NULL DEFAULT 'pending',
  purpose text NOT NULL,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  succeeded_at timestamptz,
  CONSTRAINT payments_provider CHECK (provider IN ('yookassa', 'cryptopay')),
  CONSTRAINT payments_idempotency_key_unique UNIQUE (idempotency_key),
  CONSTRAINT payments_provider_payment_id_unique UNIQUE (provider, provider_payment_id),
  CONSTRAINT payments_amount_positive CHECK (amount > 0),
  CONSTRAINT payments_currency CHECK (currency ~ '^[A-Z]{3,5}$'),
  CONSTRAINT payments_status CHECK (status IN ('pending', 'succeeded', 'canceled', 'failed')),
  CONSTRAINT payments_purpose CHECK (purpose IN ('topup', 'subscription')),
  CONSTRAINT payments_succeeded_at CHECK ((status = 'succeeded') = (succeeded_at IS NOT NULL))
);
CREATE INDEX payments_by_user ON payments (user_id, created_at);

-- succeeded and canceled are final: money that arrived is never "un-arrived",
-- whatever a late or forged webhook says. failed may still turn succeeded: a
-- timed-out create_payment (C5) can be paid after all.
CREATE FUNCTION payments_check_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> NEW.status AND (
       OLD.status IN ('succeeded', 'canceled')
       OR (OLD.status = 'failed' AND NEW.status NOT IN ('succeeded', 'canceled'))
     ) THEN
    RAISE EXCEPTION 'payment % cannot go from % to %', OLD.id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation', CONSTRAINT = 'payments_status_change';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER payments_status_change BEFORE UPDATE OF status ON payments
  FOR EACH ROW EXECUTE FUNCTION payments_check_status_change();

CREATE TABLE subscriptions (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  plan text NOT NULL,
  price bigint NOT NULL,
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subscriptions_plan CHECK (char_length(plan) BETWEEN 1 AND 64),
  CONSTRAINT subscriptions_price_positive CHECK (price > 0),
  CONSTRAINT subscriptions_period CHECK (period_end > period_start)
);
CREATE INDEX subscriptions_by_user ON subscriptions (user_id, period_end);

-- Every change of users.balance, with its reason. A credit comes from exactly
-- one payment and a payment is credited at most once (C7, L9); a debit pays
-- for exactly one subscription.
CREATE TABLE balance_ledger (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  kind text NOT NULL,
  amount bigint NOT NULL,
  payment_id bigint REFERENCES payments (id),
  subscription_id bigint REFERENCES subscriptions (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT balance_ledger_amount_positive CHECK (amount > 0),
  CONSTRAINT balance_ledger_reason CHECK (
    (kind = 'credit' AND payment_id IS NOT NULL AND subscription_id IS NULL)
    OR (kind = 'debit' AND subscription_id IS NOT NULL AND payment_id IS NULL)
  ),
  CONSTRAINT balance_ledger_one_credit_per_payment UNIQUE (payment_id),
  CONSTRAINT balance_ledger_one_debit_per_subscription UNIQUE (subscription_id)
);
CREATE INDEX balance_ledger_by_user ON balance_ledger (user_id);
