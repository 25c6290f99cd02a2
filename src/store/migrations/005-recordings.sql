-- Recordings: a per-channel switch, and one row per recorded broadcast.
--
-- channels.recording: 1 to record every broadcast of the channel (0 for every existing channel).
-- recordings: one row per broadcast recorded (on air to off air, across drops and the fallback), written
-- when it starts, so a crash leaves a row in state 'recording' that the next start marks 'interrupted'.
-- No foreign key to channels: a recording outlives its channel until it is deleted or aged out.

ALTER TABLE channels ADD COLUMN recording INTEGER NOT NULL DEFAULT 0 CHECK (recording IN (0, 1));

CREATE TABLE recordings (
  id          TEXT PRIMARY KEY,
  channel_id  TEXT NOT NULL,
  -- The file's name inside DATA_DIR/recordings.
  file        TEXT NOT NULL,
  started_at  TEXT NOT NULL,
  -- NULL while recording (or until the next start closes a recording a crash interrupted).
  ended_at    TEXT,
  duration_ms INTEGER NOT NULL DEFAULT 0,
  bytes       INTEGER NOT NULL DEFAULT 0,
  state       TEXT NOT NULL CHECK (state IN ('recording', 'paused', 'done', 'interrupted', 'failed'))
) STRICT;

CREATE INDEX recordings_started ON recordings (started_at);
