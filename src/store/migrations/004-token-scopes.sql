-- API token scopes and login session idle time.
--
-- api_tokens.scope: 'read' (status, events, metrics, history) or 'admin' (everything). Tokens made
-- before scopes existed could do everything, so they stay 'admin'.
-- sessions.last_seen_at_ms: when the session was last used (epoch ms, to the minute), so a session
-- left idle ends; existing sessions count as used now.

ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin' CHECK (scope IN ('read', 'admin'));

ALTER TABLE sessions ADD COLUMN last_seen_at_ms INTEGER NOT NULL DEFAULT 0;

UPDATE sessions SET last_seen_at_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER);
