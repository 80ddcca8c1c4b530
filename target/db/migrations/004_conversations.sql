-- Conversation state of the bot's multi-step flows (/newhabit): one row per
-- user at most. A row older than the bot's stale-state TTL counts as gone
-- (C10); /cancel and /start delete it (L4).
CREATE TABLE conversations (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  state text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT conversations_state_length CHECK (char_length(state) BETWEEN 1 AND 64),
  CONSTRAINT conversations_data_object CHECK (jsonb_typeof(data) = 'object')
);
