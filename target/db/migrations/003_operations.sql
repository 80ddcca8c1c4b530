-- Operational tables: precomputed analytics, the admin alert outbox, the job log.

-- What the admin dashboard reads (L3): rows written by the analytics_refresh
-- job (L6, B5), never computed on a click.
CREATE TABLE analytics_metrics (
  key text NOT NULL,
  -- 'all' for a total, an ISO day (YYYY-MM-DD) for a per-day figure.
  period text NOT NULL,
  value numeric NOT NULL,
  refreshed_at timestamptz NOT NULL,
  CONSTRAINT analytics_metrics_key_period PRIMARY KEY (key, period),
  CONSTRAINT analytics_metrics_period CHECK (period = 'all' OR period ~ '^\d{4}-\d{2}-\d{2}$')
);

-- Admin alerts waiting for Telegram: kept until delivered (C4: the channel
-- alerts travel on may itself be down).
CREATE TABLE alert_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_key text NOT NULL,
  severity text NOT NULL,
  source text NOT NULL,
  text text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  CONSTRAINT alert_outbox_severity CHECK (severity IN ('critical', 'warning', 'info')),
  CONSTRAINT alert_outbox_attempts CHECK (attempts >= 0),
  CONSTRAINT alert_outbox_details_object CHECK (jsonb_typeof(details) = 'object')
);
-- The delivery loop's queue, oldest first; small because delivered rows leave it.
CREATE INDEX alert_outbox_undelivered ON alert_outbox (created_at, id) WHERE delivered_at IS NULL;
-- Cooldowns (§4): the latest alert of an event.
CREATE INDEX alert_outbox_by_event ON alert_outbox (event_key, created_at DESC);

-- One row per scheduler job run, plus one per skipped item (C9 log_job_skip).
CREATE TABLE job_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_name text NOT NULL,
  run_id text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  status text NOT NULL DEFAULT 'running',
  detail text,
  CONSTRAINT job_log_status CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
  CONSTRAINT job_log_finished CHECK ((status = 'running') = (finished_at IS NULL)),
  CONSTRAINT job_log_finished_after_start CHECK (finished_at >= started_at)
);
-- "The latest runs of job X" (health, reports, scenarios).
CREATE INDEX job_log_by_job ON job_log (job_name, started_at DESC);
-- Everything one run logged, its skips included.
CREATE INDEX job_log_by_run ON job_log (run_id);
-- "What failed or was skipped since T" without reading the ok rows.
CREATE INDEX job_log_problems ON job_log (started_at) WHERE status IN ('failed', 'skipped');
