-- Broadcast history (one row per time a channel was on air, with its switches and output failures)
-- and outgoing webhooks. Written as things happen, so a crash loses at most the end of the session
-- that was on air: `last_seen_at` is refreshed while it runs and becomes its end on the next start.

CREATE TABLE broadcast_sessions (
  id           TEXT PRIMARY KEY,
  channel_id   TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  started_at   TEXT NOT NULL,
  start_reason TEXT NOT NULL,
  -- NULL while on air (or when the server died during it, until the next start closes it).
  ended_at     TEXT,
  end_reason   TEXT,
  last_seen_at TEXT NOT NULL
) STRICT;

CREATE INDEX broadcast_sessions_channel ON broadcast_sessions (channel_id, started_at);
CREATE INDEX broadcast_sessions_open ON broadcast_sessions (ended_at) WHERE ended_at IS NULL;

CREATE TABLE broadcast_switches (
  id         INTEGER PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES broadcast_sessions (id) ON DELETE CASCADE,
  at         TEXT NOT NULL,
  from_mode  TEXT NOT NULL,
  to_mode    TEXT NOT NULL,
  reason     TEXT NOT NULL
) STRICT;

CREATE INDEX broadcast_switches_session ON broadcast_switches (session_id);

CREATE TABLE broadcast_output_failures (
  id               INTEGER PRIMARY KEY,
  session_id       TEXT NOT NULL REFERENCES broadcast_sessions (id) ON DELETE CASCADE,
  at               TEXT NOT NULL,
  -- Not a foreign key: the history outlives a deleted destination.
  destination_id   TEXT NOT NULL,
  destination_name TEXT NOT NULL,
  error            TEXT NOT NULL
) STRICT;

CREATE INDEX broadcast_output_failures_session ON broadcast_output_failures (session_id);

CREATE TABLE webhooks (
  id                TEXT PRIMARY KEY,
  channel_id        TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  url               TEXT NOT NULL,
  -- JSON array of event names.
  events            TEXT NOT NULL CHECK (json_valid(events)),
  -- Kept whole: it signs every delivery. Shown once, at creation.
  secret            TEXT NOT NULL,
  created_at        TEXT NOT NULL,
  last_delivery_at  TEXT,
  -- HTTP status of the last delivery's last attempt, NULL when it never got an answer.
  last_status       INTEGER,
  last_error        TEXT
) STRICT;

CREATE INDEX webhooks_channel ON webhooks (channel_id);
