import { lazy, Suspense, useState } from 'react';
import { api, messageOf } from '../api/client.js';
import { inputHistorySec, outputHistorySec } from '../api/live-store.js';
import { useApiData } from '../api/use-api-data.js';
import type {
  ChannelAction,
  ChannelStatusDto,
  InputStatusDto,
  OutputState,
  OutputStatusDto,
  PlatformDto,
} from '../api/types.js';
import { BitrateChart } from '../components/chart.js';
import { Badge, ConfirmButton, Notice, Toggle, useNow, type Tone } from '../components/ui.js';
import { useApp, useChannelStatus, useLive } from '../context.js';
import {
  clockTime,
  errorInWords,
  formatBytes,
  formatDuration,
  formatKbps,
  reasonText,
  since,
  stateText,
} from '../format.js';
import { Link } from '../router.js';

// mpegts.js is a quarter of a megabyte minified: loaded with the dashboard's preview, not with every page.
const PreviewPlayer = lazy(() =>
  import('../components/preview-player.js').then((m) => ({ default: m.PreviewPlayer })),
);

export function DashboardPage() {
  const { channel, live } = useApp();
  const status = useChannelStatus();
  const snapshot = useLive();
  const [notice, setNotice] = useState<{ tone: Tone; text: string } | null>(null);
  const channelId = channel?.id ?? 'main';
  const platformList = useApiData<PlatformDto[]>(`/api/platforms?channelId=${encodeURIComponent(channelId)}`);
  const platforms = platformList.data ?? [];

  const act = async (action: ChannelAction): Promise<void> => {
    setNotice(null);
    try {
      await api('POST', `/api/channels/${encodeURIComponent(channelId)}/actions`, { action });
      await live.refresh();
    } catch (err) {
      setNotice({ tone: 'bad', text: messageOf(err) });
      throw err;
    }
  };

  const setEnabled = async (platform: PlatformDto, enabled: boolean): Promise<void> => {
    platformList.mutate((list) => list.map((p) => (p.id === platform.id ? { ...p, enabled } : p)));
    try {
      await api('PUT', `/api/platforms/${encodeURIComponent(platform.id)}`, { enabled });
      await live.refresh();
    } catch (err) {
      setNotice({ tone: 'bad', text: `${platform.name}: ${messageOf(err)}` });
    }
    await platformList.reload();
  };

  if (!status) {
    return (
      <section aria-busy="true">
        <h1 className="sr-only">Dashboard</h1>
        <p className="muted">{snapshot.error ?? 'Loading status…'}</p>
      </section>
    );
  }

  const outputs = new Map(status.outputs.map((o) => [o.id, o]));
  return (
    <section className="dashboard">
      <h1 className="sr-only">Dashboard</h1>
      <StateBanner status={status} />
      <div className="actions" role="group" aria-label="Broadcast controls">
        <button
          type="button"
          className="btn btn-warn"
          disabled={!status.onAir || status.mode === 'fallback'}
          onClick={() => void act('fallback').catch(() => undefined)}
        >
          Be right back
        </button>
        <button
          type="button"
          className="btn btn-good"
          disabled={status.mode !== 'fallback' || status.input === null}
          onClick={() => void act('live').catch(() => undefined)}
        >
          Back to live
        </button>
        <ConfirmButton
          className="btn btn-danger"
          disabled={!status.onAir}
          title="End the stream everywhere?"
          message="Every platform gets a clean end of stream now. OBS publishing again starts a new broadcast."
          confirmLabel="End stream everywhere"
          danger
          onConfirm={() => act('end')}
        >
          End stream everywhere
        </ConfirmButton>
      </div>
      <Notice tone={notice?.tone ?? 'info'}>{notice?.text}</Notice>

      <section className="card preview-card" aria-labelledby="preview-title">
        <div className="card-head">
          <h2 id="preview-title">Preview</h2>
          <span className="muted small">
            what the platforms get
            {status.previewViewers > 0
              ? ` · ${status.previewViewers} ${status.previewViewers === 1 ? 'viewer' : 'viewers'}`
              : ''}
          </span>
        </div>
        <Suspense fallback={<p className="muted">Loading the player…</p>}>
          <PreviewPlayer channelId={status.id} onAir={status.onAir} />
        </Suspense>
      </section>

      <div className="grid">
        <InputCard input={status.input} />
        <section className="card card-wide" aria-labelledby="bitrate-title">
          <div className="card-head">
            <h2 id="bitrate-title">Input bitrate</h2>
            <span className="muted small">last {inputHistorySec / 60} minutes</span>
          </div>
          <BitrateChart
            data={snapshot.input.get(status.id)}
            height={180}
            windowSec={inputHistorySec}
            label="Input bitrate over the last five minutes"
          />
        </section>
      </div>

      <div className="section-head">
        <h2>Platforms</h2>
        <Link to="/platforms" className="btn btn-small">
          Manage platforms
        </Link>
      </div>
      {platforms.length === 0 && status.outputs.length === 0 ? (
        <div className="card empty">
          <p>No platforms yet.</p>
          <Link to="/platforms" className="btn btn-primary">
            Add a platform
          </Link>
        </div>
      ) : (
        <ul className="platform-grid" aria-label="Platforms">
          {(platforms.length > 0 ? platforms : status.outputs.map(asPlatform)).map((platform) => (
            <PlatformCard
              key={platform.id}
              platform={platform}
              output={outputs.get(platform.id)}
              onToggle={(enabled) => void setEnabled(platform, enabled)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

/** A placeholder platform for an output the platforms list has not brought yet. */
function asPlatform(output: OutputStatusDto): PlatformDto {
  return {
    id: output.id,
    channelId: '',
    name: output.name,
    url: '',
    streamKeyMasked: '',
    enabled: output.state !== 'disabled',
    createdAt: '',
    updatedAt: '',
  };
}

function StateBanner({ status }: { status: ChannelStatusDto }) {
  const now = useNow();
  const switching = status.onAir && status.source !== null && status.mode !== status.source;
  let tone: 'live' | 'fallback' | 'starting' | 'off' = 'off';
  if (status.onAir && status.source === 'live') tone = 'live';
  else if (status.onAir && status.source === 'fallback') tone = 'fallback';
  // The encoder is connected but has sent no frame yet (warming up, or a pull whose upstream is idle).
  else if (status.onAir && status.mode === 'live') tone = 'starting';
  const title = { live: 'LIVE', fallback: 'FALLBACK', starting: 'STARTING', off: 'OFF AIR' }[tone];
  const reason = reasonText(status.reason);
  return (
    <section
      className={`banner banner-${tone}`}
      aria-live="polite"
      data-testid="channel-state"
      data-state={tone}
    >
      <div className="banner-title">
        <span className="banner-dot" aria-hidden="true" />
        <span>{title}</span>
      </div>
      <div className="banner-detail">
        {tone === 'live' ? (
          <>
            <p>Platforms are getting your OBS stream.</p>
            {status.since ? (
              <p className="muted">
                Live for {since(status.since, now)} (since {clockTime(status.since)})
              </p>
            ) : null}
          </>
        ) : null}
        {tone === 'fallback' ? (
          <>
            <p>
              Playing {status.fallbackKind === 'upload' ? 'your fallback video' : 'the “right back” slate'}
              {reason ? (
                <>
                  {' '}
                  because: <strong data-testid="fallback-reason">{reason}</strong>
                </>
              ) : null}
            </p>
            <p className="muted">
              {status.since ? `For ${since(status.since, now)}. ` : ''}
              {status.fallbackEndsAt
                ? `The stream ends by itself in ${formatDuration(Date.parse(status.fallbackEndsAt) - now)} (at ${clockTime(status.fallbackEndsAt)}) unless OBS returns.`
                : 'It plays until OBS comes back or you end the stream.'}
            </p>
          </>
        ) : null}
        {tone === 'starting' ? (
          <>
            <p>OBS is connected and has not sent its first frame yet.</p>
            <p className="muted">
              The platforms get your stream from that frame on. Nothing is sent before it, not even the
              fallback: it could only guess your stream’s settings.
            </p>
          </>
        ) : null}
        {tone === 'off' ? (
          <>
            <p>Nothing is being sent to the platforms.</p>
            <p className="muted">
              {reason && status.since ? `Ended ${since(status.since, now)} ago: ${reason}. ` : ''}
              Start streaming in OBS to go live (<Link to="/obs">OBS setup</Link>).
            </p>
          </>
        ) : null}
        {switching ? (
          <p className="muted">
            Switching to {status.mode === 'live' ? 'live' : 'the fallback'} at the next keyframe…
          </p>
        ) : null}
      </div>
    </section>
  );
}

function codecName(codec: string | null): string {
  if (codec === null) return '…';
  const names: Record<string, string> = {
    h264: 'H.264',
    avc: 'H.264',
    hevc: 'HEVC',
    h265: 'HEVC',
    av1: 'AV1',
  };
  return names[codec.toLowerCase()] ?? codec.toUpperCase();
}

function InputCard({ input }: { input: InputStatusDto | null }) {
  const now = useNow();
  return (
    <section className="card" aria-labelledby="input-title">
      <div className="card-head">
        <h2 id="input-title">Input from OBS</h2>
        {input ? <Badge tone="good">Receiving</Badge> : <Badge tone="muted">No input</Badge>}
      </div>
      {input ? (
        <dl className="facts" data-testid="input-facts">
          <div>
            <dt>Video</dt>
            <dd>
              {codecName(input.codec)}
              {input.width !== null && input.height !== null ? ` · ${input.width}×${input.height}` : ''}
              {input.fps !== null ? ` · ${Math.round(input.fps * 100) / 100} fps` : ''}
            </dd>
          </div>
          <div>
            <dt>Audio</dt>
            <dd>
              {input.audioCodec === null
                ? 'none'
                : `${codecName(input.audioCodec)}${input.sampleRate !== null ? ` · ${input.sampleRate / 1000} kHz` : ''}${
                    input.channels !== null
                      ? ` · ${input.channels === 2 ? 'stereo' : input.channels === 1 ? 'mono' : `${input.channels} ch`}`
                      : ''
                  }`}
            </dd>
          </div>
          <div>
            <dt>Bitrate</dt>
            <dd className="mono">{formatKbps(input.bitrateKbps)}</dd>
          </div>
          <div>
            <dt>Connected</dt>
            <dd>
              {since(input.since, now)} <span className="muted">(since {clockTime(input.since)})</span>
            </dd>
          </div>
        </dl>
      ) : (
        <p className="muted">OBS is not sending. Point OBS at the server on the OBS setup page.</p>
      )}
    </section>
  );
}

function stateTone(state: OutputState): Tone {
  switch (state) {
    case 'live':
      return 'good';
    case 'connecting':
    case 'retrying':
      return 'warn';
    case 'failed':
    case 'incompatible':
      return 'bad';
    case 'idle':
    case 'disabled':
      return 'muted';
  }
}

function PlatformCard({
  platform,
  output,
  onToggle,
}: {
  platform: PlatformDto;
  output: OutputStatusDto | undefined;
  onToggle: (enabled: boolean) => void;
}) {
  const now = useNow();
  const { outputs } = useLive();
  const state: OutputState = platform.enabled ? (output?.state ?? 'idle') : 'disabled';
  const error = errorInWords(output?.lastError ?? null);
  return (
    <li
      className="card platform-card"
      data-testid="platform-card"
      data-platform={platform.name}
      data-state={state}
    >
      <div className="card-head">
        <h3>{platform.name}</h3>
        <Badge tone={stateTone(state)} testId="platform-state">
          {stateText(state)}
        </Badge>
      </div>
      <BitrateChart
        data={outputs.get(platform.id)}
        height={44}
        sparkline
        color={state === 'live' ? '#4cc38a' : '#8b95a7'}
        windowSec={outputHistorySec}
        label={`${platform.name} bitrate over the last two minutes`}
      />
      <dl className="facts facts-compact">
        <div>
          <dt>Bitrate</dt>
          <dd className="mono">{formatKbps(output?.bitrateKbps ?? 0)}</dd>
        </div>
        <div>
          <dt>Uptime</dt>
          <dd className="mono">{output?.connectedSince ? since(output.connectedSince, now) : '–'}</dd>
        </div>
        <div>
          <dt>Reconnects</dt>
          <dd className="mono">{output?.reconnects ?? 0}</dd>
        </div>
        <div>
          <dt>Dropped frames</dt>
          <dd className="mono">{output?.droppedFrames ?? 0}</dd>
        </div>
        <div>
          <dt>Sent</dt>
          <dd className="mono">{formatBytes(output?.bytes ?? 0)}</dd>
        </div>
      </dl>
      {error ? (
        <p className="platform-error" title={error.raw}>
          <span className="sr-only">Last error: </span>
          {error.words}
        </p>
      ) : null}
      <div className="card-foot">
        <Toggle checked={platform.enabled} onChange={onToggle} label={`Send to ${platform.name}`} showLabel />
      </div>
    </li>
  );
}
