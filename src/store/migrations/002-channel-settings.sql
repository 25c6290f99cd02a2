-- Per-channel continuity settings and platform presets.
--
-- channels.settings: a JSON object of the continuity settings this channel overrides (stallTimeoutMs,
-- cleanStopAction, cleanStopGraceMs, fallbackTimeoutMs, lowBitrate); a field that is absent follows the
-- server's defaults, so '{}' (every existing channel) changes nothing.
-- destinations.preset: the platform preset a destination was made from ('twitch', 'youtube', …), which
-- decides the video codecs it accepts; NULL for a destination made from a bare URL (accepts any codec).

ALTER TABLE channels ADD COLUMN settings TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings));

ALTER TABLE destinations ADD COLUMN preset TEXT;
