import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { api, fieldErrors, uploadWithProgress } from '../api/client.js';
import { useApiData } from '../api/use-api-data.js';
import type { ChannelFallbackDto, FallbackJobDto, UploadFallbackDto } from '../api/types.js';
import { Badge, ConfirmButton, Field, Notice, ProgressBar } from '../components/ui.js';
import { useApp, useChannelStatus } from '../context.js';
import { clockTime, formatBytes } from '../format.js';

/** `h264-1280x720-48000hz-2ch-30fps-high-l3.1` → `H264 1280x720 · 48000hz · 2ch · 30fps · high · l3.1`. */
function renditionLabel(key: string): string {
  const parts = key.split('-');
  if (parts.length < 3) return key;
  return [`${(parts[0] ?? '').toUpperCase()} ${parts[1] ?? ''}`, ...parts.slice(2)].join(' · ');
}

type Phase =
  | { step: 'idle' }
  | { step: 'uploading'; percent: number }
  | { step: 'conforming'; job: FallbackJobDto }
  | { step: 'done'; job: FallbackJobDto }
  | { step: 'failed'; message: string };

export function FallbackPage() {
  const { channel } = useApp();
  const status = useChannelStatus();
  const channelId = channel?.id ?? 'main';
  const fallback = useApiData<ChannelFallbackDto>(`/api/channels/${encodeURIComponent(channelId)}/fallback`);
  const info = fallback.data ?? null;
  const load = fallback.reload;
  const [file, setFile] = useState<File | null>(null);
  const [fileErrors, setFileErrors] = useState<Record<string, string>>({});
  const [phase, setPhase] = useState<Phase>({ step: 'idle' });
  const [uploadPercent, setUploadPercent] = useState(0);
  const fileInput = useRef<HTMLInputElement>(null);
  // A preview of the chosen file, played by the browser from the disk (nothing is sent for it).
  const [previewUrl, setPreviewUrl] = useState<string | null>(null);
  // Whether the chosen file's preview shows: once it is uploaded, the server's own preview of it takes over.
  const [previewOf, setPreviewOf] = useState<'chosen' | 'uploaded'>('chosen');
  const [previewName, setPreviewName] = useState('');
  const previewRef = useRef<string | null>(null);
  useEffect(
    () => () => {
      if (previewRef.current !== null) URL.revokeObjectURL(previewRef.current);
    },
    [],
  );
  const choose = (chosen: File | null): void => {
    if (previewRef.current !== null) URL.revokeObjectURL(previewRef.current);
    previewRef.current = chosen ? URL.createObjectURL(chosen) : null;
    setPreviewUrl(previewRef.current);
    setPreviewOf('chosen');
    setPreviewName(chosen?.name ?? '');
    setFile(chosen);
    setFileErrors({});
  };

  // Conform progress: the job's events arrive through the live store; a poll covers a missing stream.
  const jobId = phase.step === 'conforming' ? phase.job.id : null;
  const liveJob = status?.fallbackJobs.find((j) => j.id === jobId);
  useEffect(() => {
    if (jobId === null) return;
    let stopped = false;
    const tick = async (): Promise<void> => {
      try {
        const job = await api<FallbackJobDto>('GET', `/api/fallback/jobs/${encodeURIComponent(jobId)}`);
        if (stopped) return;
        if (job.state === 'done') {
          setPhase({ step: 'done', job });
          void load();
        } else if (job.state === 'failed') {
          setPhase({ step: 'failed', message: job.error ?? 'Conforming failed.' });
          void load();
        } else setPhase({ step: 'conforming', job });
      } catch {
        // next tick
      }
    };
    const timer = setInterval(() => void tick(), 700);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [jobId, load]);

  const upload = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    setFileErrors({});
    if (!file) {
      setFileErrors({ file: 'Choose a video file first.' });
      return;
    }
    const form = new FormData();
    // channelId first: an unknown channel is refused before the file is sent in full.
    form.append('channelId', channelId);
    form.append('file', file, file.name);
    setUploadPercent(0);
    setPhase({ step: 'uploading', percent: 0 });
    try {
      const { job } = await uploadWithProgress<UploadFallbackDto>(
        '/api/upload_fallback',
        form,
        ({ loaded, total }) => {
          setUploadPercent(total > 0 ? (loaded / total) * 100 : 0);
        },
      );
      setUploadPercent(100);
      setPhase(job.state === 'done' ? { step: 'done', job } : { step: 'conforming', job });
      if (fileInput.current) fileInput.current.value = '';
      setFile(null);
      setPreviewOf('uploaded');
      void load();
    } catch (err) {
      setPhase({ step: 'idle' });
      setFileErrors(fieldErrors(err));
    }
  };

  const conformPercent =
    phase.step === 'done'
      ? 100
      : phase.step === 'conforming'
        ? Math.max(phase.job.percent, liveJob?.percent ?? 0)
        : 0;
  const original = info?.info.original ?? null;
  const busy = phase.step === 'uploading' || phase.step === 'conforming';

  return (
    <section className="fallback">
      <h1>Fallback video</h1>
      <p className="muted lead">
        When OBS drops or stalls, the platforms get this video instead of a dead stream, until OBS comes back.
        It is converted once to match your live stream (size, frame rate, audio), so the platforms never see
        the settings change.
      </p>
      <Notice tone="bad">{fallback.error}</Notice>

      <div className="grid">
        <section className="card" aria-labelledby="current-title">
          <div className="card-head">
            <h2 id="current-title">Current fallback</h2>
            {original ? <Badge tone="good">Your video</Badge> : <Badge tone="muted">Built-in slate</Badge>}
          </div>
          {original ? (
            <>
              <dl className="facts" data-testid="fallback-original">
                <div>
                  <dt>File</dt>
                  <dd className="break">{original.name}</dd>
                </div>
                <div>
                  <dt>Size</dt>
                  <dd>{formatBytes(original.sizeBytes)}</dd>
                </div>
                <div>
                  <dt>Uploaded</dt>
                  <dd>
                    {new Date(original.uploadedAt).toLocaleDateString()} {clockTime(original.uploadedAt)}
                  </dd>
                </div>
              </dl>
              {/* The stored upload itself, from the server; #t=0.1 makes the browser show a frame as poster. */}
              <video
                key={original.uploadedAt}
                className="preview"
                src={`/api/channels/${encodeURIComponent(channelId)}/fallback/original#t=0.1`}
                controls
                playsInline
                preload="metadata"
                aria-label={`Current fallback video: ${original.name}`}
                data-testid="fallback-current-preview"
              />
              <h3 className="small-title">Renditions</h3>
              {info && info.info.renditions.length > 0 ? (
                <ul className="plain-list" data-testid="renditions">
                  {info.info.renditions.map((r) => (
                    <li key={r.key}>
                      <span className="mono">{renditionLabel(r.key)}</span>{' '}
                      <span className="muted">{formatBytes(r.sizeBytes)}</span>
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="muted small">None yet: one is made for each set of live settings OBS sends.</p>
              )}
              <ConfirmButton
                className="btn btn-danger-ghost"
                title="Remove the fallback video?"
                message="The built-in “We'll be right back” slate plays instead when OBS drops."
                confirmLabel="Remove"
                danger
                onConfirm={async () => {
                  await api('DELETE', `/api/channels/${encodeURIComponent(channelId)}/fallback`);
                  setPhase({ step: 'idle' });
                  choose(null);
                  await load();
                }}
              >
                Remove video
              </ConfirmButton>
            </>
          ) : (
            <p className="muted">
              No video uploaded: the built-in “We'll be right back” slate plays when OBS drops. Upload a short
              clip (a loop of 10–60 s works well) to use your own.
            </p>
          )}
        </section>

        <form
          className="card"
          onSubmit={(event) => void upload(event)}
          noValidate
          aria-labelledby="upload-title"
        >
          <h2 id="upload-title">{original ? 'Replace the video' : 'Upload a video'}</h2>
          <Field
            label="Video file"
            error={fileErrors['file'] ?? fileErrors['channelId']}
            hint="Any common format (MP4, MOV, MKV, WebM). It loops while it plays."
          >
            {(props) => (
              <input
                {...props}
                ref={fileInput}
                type="file"
                name="file"
                accept="video/*,.mkv,.flv,.ts"
                onChange={(event) => {
                  choose(event.target.files?.[0] ?? null);
                }}
              />
            )}
          </Field>
          {previewUrl !== null && previewOf === 'chosen' ? (
            <Preview url={previewUrl} name={previewName} />
          ) : null}
          <Notice tone="bad">{fileErrors['']}</Notice>
          {phase.step !== 'idle' ? (
            <div className="progress-stack" data-testid="upload-progress">
              <ProgressBar
                label="Upload"
                percent={uploadPercent}
                tone={uploadPercent >= 100 ? 'good' : 'info'}
              />
              <ProgressBar
                label="Converting for the platforms"
                percent={conformPercent}
                tone={phase.step === 'done' ? 'good' : phase.step === 'failed' ? 'bad' : 'info'}
              />
            </div>
          ) : null}
          {phase.step === 'done' ? (
            <Notice tone="good">Ready: this video plays whenever OBS drops.</Notice>
          ) : null}
          {phase.step === 'failed' ? <Notice tone="bad">{phase.message}</Notice> : null}
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {phase.step === 'uploading'
              ? 'Uploading…'
              : phase.step === 'conforming'
                ? 'Converting…'
                : 'Upload'}
          </button>
        </form>
      </div>
    </section>
  );
}

/** The clip, played by the browser from the user's disk: its first frame as the poster. */
function Preview({ url, name }: { url: string; name: string }) {
  return (
    <video
      className="preview"
      src={url}
      controls
      muted
      loop
      playsInline
      preload="metadata"
      aria-label={`Preview of ${name}`}
    />
  );
}
