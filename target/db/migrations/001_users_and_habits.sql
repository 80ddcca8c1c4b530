-- Users, habits, completions and reminders: the bot's and the scheduler's data.
-- Invariants live in constraints, so that no code path can break them.

-- True when PostgreSQL knows `zone` as a time zone. Declared IMMUTABLE so a
-- CHECK may use it: the zone database only changes with a server upgrade.
CREATE FUNCTION is_known_time_zone(zone text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
  PERFORM now() AT TIME ZONE zone;
  RETURN true;
EXCEPTION WHEN invalid_parameter_value THEN
  RETURN false;
END
$$;

CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  telegram_id bigint NOT NULL,
  username text,
  first_name text,
  language_code text,
  -- Set when Telegram answers 403 (the user blocked the bot); cleared by /start.
  is_blocked boolean NOT NULL DEFAULT false,
  blocked_at timestamptz,
  -- Minor units (kopecks, cents). Never negative, whatever the code does (L10).
  balance bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_telegram_id_unique UNIQUE (telegram_id),
  CONSTRAINT users_balance_not_negative CHECK (balance >= 0)
);

CREATE TABLE habits (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title text NOT NULL,
  -- Local wall-clock time of the daily reminder, whole minutes; NULL: no reminder.
  reminder_time time(0),
  timezone text NOT NULL DEFAULT 'UTC',
  is_active boolean NOT NULL DEFAULT true,
  -- Times the habit was marked done; always equals its habit_completions rows.
  completion_count integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT habits_title_length CHECK (char_length(btrim(title)) BETWEEN 1 AND 200),
  CONSTRAINT habits_reminder_whole_minute CHECK (extract(second FROM reminder_time) = 0),
  CONSTRAINT habits_known_time_zone CHECK (is_known_time_zone(timezone)),
  CONSTRAINT habits_completion_count_not_negative CHECK (completion_count >= 0)
);
CREATE INDEX habits_by_user ON habits (user_id, id);
-- The reminder job's lookup: which active habits have their reminder at this
-- local time in this zone. Also serves the walk over the zones in use.
CREATE INDEX habits_due ON habits (timezone, reminder_time) WHERE is_active AND reminder_time IS NOT NULL;

-- One completion per habit per day: a repeated habit_done callback (L2) is a no-op.
CREATE TABLE habit_completions (
  habit_id bigint NOT NULL REFERENCES habits (id) ON DELETE CASCADE,
  day date NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT habit_completions_one_per_day PRIMARY KEY (habit_id, day)
);
CREATE INDEX habit_completions_by_day ON habit_completions (day);

-- One reminder per habit per due slot (L5): the job may overlap or rerun.
CREATE TABLE reminders_sent (
  habit_id bigint NOT NULL REFERENCES habits (id) ON DELETE CASCADE,
  -- The due minute, as an instant.
  slot timestamptz NOT NULL,
  -- Who claimed it: lets a claimer recognise its own claim after a retry.
  claim_token uuid NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  outcome text,
  outcome_detail text,
  outcome_at timestamptz,
  CONSTRAINT reminders_sent_one_per_slot PRIMARY KEY (habit_id, slot),
  CONSTRAINT reminders_sent_whole_minute CHECK (extract(epoch FROM slot) = floor(extract(epoch FROM slot) / 60) * 60),
  CONSTRAINT reminders_sent_outcome CHECK (outcome IN ('sent', 'blocked', 'failed'))
);
CREATE INDEX reminders_sent_by_slot ON reminders_sent (slot);
