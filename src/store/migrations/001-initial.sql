-- The first schema: channels, their destinations (platforms), settings, and the admin's credentials.
-- Timestamps are ISO-8601 UTC text, except session expiry (epoch ms) which is compared on every request.

CREATE TABLE channels (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
  ingest_key  TEXT NOT NULL UNIQUE,
  preview_key TEXT UNIQUE,
  created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE destinations (
  id         TEXT PRIMARY KEY,
  channel_id TEXT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  -- NOCASE: "Twitch" and "twitch" in one channel would be the same platform to a person.
  name       TEXT NOT NULL COLLATE NOCASE,
  url        TEXT NOT NULL,
  stream_key TEXT NOT NULL,
  enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (channel_id, name)
) STRICT;

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value))
) STRICT;

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  -- Only the SHA-256 of the token is kept: a leaked database does not leak working tokens.
  token_hash   TEXT NOT NULL UNIQUE,
  prefix       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  last_used_at TEXT
) STRICT;

CREATE TABLE sessions (
  -- SHA-256 of the cookie value, for the same reason as api_tokens.token_hash.
  id            TEXT PRIMARY KEY,
  created_at    TEXT NOT NULL,
  expires_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_expiry ON sessions (expires_at_ms);
