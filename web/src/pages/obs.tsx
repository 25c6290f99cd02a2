import { useEffect, useState } from 'react';
import { api, messageOf } from '../api/client.js';
import { audioCodecLabels, videoCodecLabels } from '../api/contract.js';
import type { PlatformDto, PresetDto, RotatedKeyDto } from '../api/types.js';
import { Address, ConfirmButton, CopyButton, Notice } from '../components/ui.js';
import { useApp } from '../context.js';
import { formatKbps } from '../format.js';

export function ObsPage() {
  const { channel, presets, reloadChannels } = useApp();
  const [revealed, setRevealed] = useState(false);
  const [platforms, setPlatforms] = useState<PlatformDto[]>([]);
  const [notice, setNotice] = useState('');
  const channelId = channel?.id ?? 'main';

  useEffect(() => {
    api<PlatformDto[]>('GET', `/api/platforms?channelId=${encodeURIComponent(channelId)}`).then(
      setPlatforms,
      () => undefined,
    );
  }, [channelId]);

  if (!channel) return null;
  const used = new Map<string, PresetDto>();
  for (const platform of platforms) {
    const preset = presets.find((p) => p.id === platform.preset);
    if (preset && platform.enabled) used.set(preset.id, preset);
  }
  const limits = [...used.values()].map((p) => p.maxBitrateKbps).filter((v): v is number => v !== null);
  const maxKbps = limits.length > 0 ? Math.min(...limits) : null;
  const codecSets = [...used.values()].map((p) => p.videoCodecs);
  const commonCodecs = (['avc', 'hevc', 'av1'] as const).filter((c) =>
    codecSets.every((set) => set.includes(c)),
  );

  return (
    <section className="obs">
      <h1>OBS setup</h1>
      <p className="muted lead">
        In OBS, open <strong>Settings → Stream</strong>, choose Service <strong>Custom…</strong>, and paste
        these two values.
      </p>
      <section className="card" aria-labelledby="connect-title">
        <h2 id="connect-title">Connect OBS to {channel.name}</h2>
        <div className="copy-field">
          <span className="copy-label" id="server-label">
            Server
          </span>
          <code className="copy-value" aria-labelledby="server-label" data-testid="ingest-url">
            <Address text={channel.ingestUrl} />
          </code>
          <CopyButton text={channel.ingestUrl} label="Copy server URL" />
        </div>
        <div className="copy-field">
          <span className="copy-label" id="key-label">
            Stream Key
          </span>
          <code className="copy-value break" aria-labelledby="key-label" data-testid="ingest-key">
            {revealed ? channel.streamKey : '•'.repeat(24)}
          </code>
          <div className="copy-buttons">
            <button
              type="button"
              className="btn btn-small"
              aria-pressed={revealed}
              onClick={() => {
                setRevealed(!revealed);
              }}
            >
              {revealed ? 'Hide' : 'Reveal'}
              <span className="sr-only"> stream key</span>
            </button>
            <CopyButton text={channel.streamKey} label="Copy stream key" />
          </div>
        </div>
        <p className="muted small">
          Keep the key secret: anyone with it can stream to your platforms through this server.
        </p>
        <ConfirmButton
          className="btn btn-danger-ghost"
          title="Make a new stream key?"
          message="The current key stops working at once: a stream running on it is cut (your platforms get the fallback) until OBS reconnects with the new key."
          confirmLabel="Make a new key"
          danger
          onConfirm={async () => {
            try {
              await api<RotatedKeyDto>('POST', `/api/channels/${encodeURIComponent(channel.id)}/rotate-key`);
              await reloadChannels();
              setRevealed(true);
              setNotice('New key made: paste it into OBS.');
            } catch (err) {
              throw new Error(messageOf(err));
            }
          }}
        >
          Rotate key…
        </ConfirmButton>
        <Notice tone="good">{notice}</Notice>
      </section>

      <section className="card" aria-labelledby="settings-title">
        <h2 id="settings-title">OBS settings that matter</h2>
        <p className="muted small">Settings → Output, Output Mode: Advanced, Streaming tab.</p>
        <dl className="facts facts-advice">
          <div>
            <dt>Rate control</dt>
            <dd>
              <strong>CBR</strong> (constant bitrate): platforms buffer a steady stream best.
            </dd>
          </div>
          <div>
            <dt>Keyframe interval</dt>
            <dd>
              <strong>2 s</strong> (not 0/auto): switching to and from the fallback happens on keyframes.
            </dd>
          </div>
          <div>
            <dt>Bitrate</dt>
            <dd>
              {maxKbps !== null ? (
                <>
                  At most <strong>{formatKbps(maxKbps)}</strong>: the lowest limit of your platforms. The
                  server sends the same stream to all of them.
                </>
              ) : (
                'Add platforms from presets to get advice: 6000 kbps suits most.'
              )}
            </dd>
          </div>
          <div>
            <dt>Encoder</dt>
            <dd>
              {commonCodecs.length > 0
                ? `${commonCodecs.map((c) => videoCodecLabels[c]).join(' or ')}${commonCodecs.includes('avc') ? ' (H.264 is the safe choice)' : ''}`
                : 'No codec suits all your platforms: send H.264 and check each platform.'}
            </dd>
          </div>
          <div>
            <dt>Audio</dt>
            <dd>AAC, 48 kHz, 128–160 kbps.</dd>
          </div>
        </dl>
      </section>

      {used.size > 0 ? (
        <section className="card" aria-labelledby="per-platform-title">
          <h2 id="per-platform-title">Per platform</h2>
          <ul className="advice-list">
            {[...used.values()].map((preset) => (
              <li key={preset.id}>
                <h3>{preset.name}</h3>
                <p className="small">
                  {preset.videoCodecs.map((c) => videoCodecLabels[c]).join(', ')}
                  {' · audio '}
                  {preset.audioCodecs.map((c) => audioCodecLabels[c]).join(', ')}
                  {preset.keyframeIntervalSeconds !== null
                    ? ` · keyframe ${preset.keyframeIntervalSeconds} s`
                    : ''}
                  {preset.maxBitrateKbps !== null ? ` · up to ${formatKbps(preset.maxBitrateKbps)}` : ''}
                </p>
                <p className="muted small">{preset.notes}</p>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </section>
  );
}
