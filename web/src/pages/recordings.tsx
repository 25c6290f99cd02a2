import { useEffect, useState } from 'react';
import { api, messageOf } from '../api/client.js';
import type { RecordingDto, RecordingState } from '../api/types.js';
import { useApiData } from '../api/use-api-data.js';
import { Badge, ConfirmButton, Notice, Toggle, type Tone } from '../components/ui.js';
import { useApp, useLive } from '../context.js';
import { clockTime, formatBytes, formatDuration } from '../format.js';

const stateLabels: Record<RecordingState, { text: string; tone: Tone }> = {
  recording: { text: 'Recording', tone: 'bad' },
  paused: { text: 'Paused: disk almost full', tone: 'warn' },
  done: { text: 'Done', tone: 'good' },
  interrupted: { text: 'Interrupted', tone: 'warn' },
  failed: { text: 'Failed', tone: 'bad' },
};

/** `4 Dec, 21:05`. */
function startTime(iso: string): string {
  return new Date(iso).toLocaleString([], {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/**
 * Recordings: the switch that records every broadcast of the channel, and the recordings themselves,
 * each one broadcast from going on air to ending, to play here, download or delete.
 */
export function RecordingsPage() {
  const { channel, reloadChannels } = useApp();
  const channelId = channel?.id ?? 'main';
  const list = useApiData<RecordingDto[]>(`/api/recordings?channelId=${encodeURIComponent(channelId)}`);
  const [playing, setPlaying] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const recordings = list.data ?? [];
  const writing = recordings.some((r) => r.state === 'recording' || r.state === 'paused');
  const { reload } = list;
  const warning = useLive().recordingWarnings.get(channelId);
  // Shown while a recording is paused, or when none could start since the warning came.
  const newest = recordings[0];
  const showWarning =
    warning !== undefined &&
    (newest?.state === 'paused' ||
      (!recordings.some((r) => r.state === 'recording') && (newest?.startedAt ?? '') < warning.at));

  // Sizes and lengths grow while a broadcast is recorded.
  useEffect(() => {
    if (!writing) return;
    const timer = setInterval(() => void reload(), 3000);
    return () => {
      clearInterval(timer);
    };
  }, [writing, reload]);

  const setRecording = async (on: boolean): Promise<void> => {
    setNotice(null);
    try {
      await api('PATCH', `/api/channels/${encodeURIComponent(channelId)}`, { recording: on });
      await reloadChannels();
      // A broadcast on air starts (or stops) recording within a couple of seconds.
      setTimeout(() => void reload(), 2500);
    } catch (err) {
      setNotice(messageOf(err));
    }
  };

  const remove = async (id: string): Promise<void> => {
    await api('DELETE', `/api/recordings/${encodeURIComponent(id)}`);
    if (playing === id) setPlaying(null);
    await reload();
  };

  return (
    <section className="recordings">
      <h1>Recordings</h1>
      <section className="card" aria-labelledby="record-title">
        <div className="card-head">
          <h2 id="record-title">Record {channel?.name}</h2>
          <Toggle
            checked={channel?.recording ?? false}
            onChange={(on) => void setRecording(on)}
            label="Record every broadcast"
            showLabel
          />
        </div>
        <p className="muted small">
          Each broadcast, from going on air to ending, becomes one MP4 file: what the platforms got, the
          fallback included.
        </p>
        <Notice tone="bad">{notice}</Notice>
        {showWarning ? (
          <Notice tone="warn">
            {clockTime(warning.at)}: {warning.message}
          </Notice>
        ) : null}
      </section>

      {playing !== null ? (
        <section className="card" aria-labelledby="player-title">
          <div className="card-head">
            <h2 id="player-title">Playing</h2>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => {
                setPlaying(null);
              }}
            >
              Close
            </button>
          </div>
          <video
            className="recording-video"
            src={`/api/recordings/${encodeURIComponent(playing)}/file`}
            controls
            autoPlay
            data-testid="recording-video"
          />
        </section>
      ) : null}

      {list.error ? <Notice tone="bad">{list.error}</Notice> : null}
      {recordings.length === 0 ? (
        <p className="card empty">
          {list.data === undefined ? 'Loading…' : 'No recordings yet: turn recording on and go live.'}
        </p>
      ) : (
        <ul className="recording-list">
          {recordings.map((recording) => {
            const state = stateLabels[recording.state];
            const active = recording.state === 'recording' || recording.state === 'paused';
            return (
              <li key={recording.id} className="card recording-row" data-testid="recording-row">
                <div className="recording-facts">
                  <strong>{startTime(recording.startedAt)}</strong>
                  <span className="muted">
                    {formatDuration(recording.durationMs)} · {formatBytes(recording.bytes)}
                  </span>
                  <Badge tone={state.tone}>{state.text}</Badge>
                </div>
                <div className="recording-actions">
                  <button
                    type="button"
                    className="btn btn-small"
                    onClick={() => {
                      setPlaying(recording.id);
                    }}
                  >
                    Play
                  </button>
                  <a
                    className="btn btn-small"
                    href={`/api/recordings/${encodeURIComponent(recording.id)}/file?download=1`}
                    download
                  >
                    Download
                  </a>
                  <ConfirmButton
                    className="btn btn-small btn-danger"
                    disabled={active}
                    title="Delete this recording?"
                    message="The file is deleted from the server for good."
                    confirmLabel="Delete"
                    danger
                    onConfirm={() => remove(recording.id)}
                  >
                    Delete
                  </ConfirmButton>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
