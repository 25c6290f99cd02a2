import { useEffect, useRef, useState } from 'react';
import mpegts from 'mpegts.js';

/** How long after the stream ends or fails the player connects again. */
const reconnectMs = 1000;
/** Seconds behind the newest received frame beyond which the player jumps ahead (target: ≤ 2 s). */
const maxLatencySec = 1.5;

/**
 * The program as the platforms get it, played in the page: HTTP-FLV from
 * `/api/channels/:id/preview.flv` through mpegts.js (MSE). It starts muted (browsers refuse sound
 * before a click), keeps itself within a second or two of live by skipping ahead, and reconnects by
 * itself when the stream ends (off air) or fails, so drops, the fallback and returns need no reload.
 */
export function PreviewPlayer({ channelId, onAir }: { channelId: string; onAir: boolean }) {
  const video = useRef<HTMLVideoElement>(null);
  const [muted, setMuted] = useState(true);
  const [latencySec, setLatencySec] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const supported = mpegts.getFeatureList().mseLivePlayback;

  useEffect(() => {
    const element = video.current;
    if (!element || !supported) return;
    let player: mpegts.Player | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;

    const start = (): void => {
      if (stopped) return;
      player = mpegts.createPlayer(
        { type: 'flv', isLive: true, url: `/api/channels/${encodeURIComponent(channelId)}/preview.flv` },
        {
          enableWorker: false,
          enableStashBuffer: false,
          lazyLoad: false,
          autoCleanupSourceBuffer: true,
          liveBufferLatencyChasing: true,
          liveBufferLatencyMaxLatency: maxLatencySec,
          liveBufferLatencyMinRemain: 0.3,
        },
      );
      player.on(mpegts.Events.ERROR, (_type: string, detail: string) => {
        setProblem(`reconnecting (${detail})`);
        restart();
      });
      player.on(mpegts.Events.LOADING_COMPLETE, () => {
        restart();
      });
      player.attachMediaElement(element);
      player.load();
      void Promise.resolve(player.play()).catch(() => undefined);
    };
    const restart = (): void => {
      player?.destroy();
      player = undefined;
      clearTimeout(retry);
      retry = setTimeout(start, reconnectMs);
    };

    const onTime = (): void => {
      const ranges = element.buffered;
      if (ranges.length === 0) return;
      setProblem(null);
      setLatencySec(Math.max(0, ranges.end(ranges.length - 1) - element.currentTime));
    };
    element.addEventListener('timeupdate', onTime);
    start();
    return () => {
      stopped = true;
      element.removeEventListener('timeupdate', onTime);
      clearTimeout(retry);
      player?.destroy();
    };
  }, [channelId, supported]);

  if (!supported) {
    return <p className="muted">This browser cannot play the preview (no Media Source Extensions).</p>;
  }
  return (
    <div className="preview">
      <div className="preview-frame">
        <video
          ref={video}
          muted={muted}
          playsInline
          autoPlay
          data-testid="preview-video"
          aria-label="Program preview: what the platforms get"
        />
        {!onAir ? <span className="preview-overlay">Off air</span> : null}
      </div>
      <div className="preview-bar">
        <button
          type="button"
          className="btn btn-small"
          aria-pressed={!muted}
          onClick={() => {
            setMuted(!muted);
          }}
        >
          {muted ? 'Unmute' : 'Mute'}
        </button>
        <span className="muted small" data-testid="preview-latency" role="status">
          {problem ??
            (onAir && latencySec !== null
              ? `${latencySec.toFixed(1)} s behind live`
              : 'waiting for the stream')}
        </span>
      </div>
    </div>
  );
}
