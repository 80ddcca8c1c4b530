-- The scheduler's job store (§3 "restart → jobs from JobStore", B4) and the
-- confirmation URL of a payment, so a repeated create under the same
-- idempotency key can answer with the same link.

-- One row per recurring job. The row outlives the process: a restarted
-- scheduler continues from next_run_at. running_until is a lease: while it
-- lies in the future, one instance holds the job (max_instances = 1 across
-- processes); a crashed holder's lease simply expires.
CREATE TABLE scheduler_jobs (
  name text PRIMARY KEY,
  interval_ms integer NOT NULL,
  next_run_at timestamptz NOT NULL,
  running_owner text,
  running_until timestamptz,
  last_started_at timestamptz,
  last_finished_at timestamptz,
  last_status text,
  CONSTRAINT scheduler_jobs_interval_positive CHECK (interval_ms > 0),
  CONSTRAINT scheduler_jobs_last_status CHECK (last_status IS NULL OR last_status IN ('ok', 'failed', 'skipped'))
);

ALTER TABLE payments ADD COLUMN confirmation_url text;
