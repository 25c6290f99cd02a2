import {
  fallbackJobDto,
  type BitrateSeries,
  type ChannelStatusDto,
  type StatusDto,
} from '../contract/index.js';
import type { SharedBackend } from './shared-backend.js';

/** How long `/api/status` keeps showing a finished (done or failed) fallback job. */
const finishedJobsShownMs = 10 * 60_000;

/** Status: the store's channels and destinations joined with the engine's live input and outputs. */
export class StatusBackend {
  readonly #shared: SharedBackend;
  readonly #now: () => number;

  readonly #history: ((channelId: string) => BitrateSeries) | undefined;

  /** `now`: wall clock in ms, for which finished jobs status still shows; `history`: input bitrate. */
  constructor(shared: SharedBackend, now: () => number, history?: (channelId: string) => BitrateSeries) {
    this.#shared = shared;
    this.#now = now;
    this.#history = history;
  }

  /** Every channel's live status, with every destination listed (idle or disabled when not running). */
  status(): StatusDto {
    return {
      channels: this.#shared.store.channels
        .list()
        .map((channel) => this.#channelStatus(channel.id, channel.name)),
    };
  }

  #channelStatus(id: string, name: string): ChannelStatusDto {
    const live = this.#shared.live.channelStatus(id);
    const outputs = new Map(live?.outputs.map((output) => [output.id, output]));
    const input = live?.input ?? null;
    const now = this.#now();
    const fallbackJobs = this.#shared.fallback
      .jobs(id)
      .filter(
        (job) =>
          job.state === 'queued' ||
          job.state === 'running' ||
          job.finishedAt === undefined ||
          now - Date.parse(job.finishedAt) <= finishedJobsShownMs,
      )
      .map(fallbackJobDto);
    return {
      id,
      name,
      onAir: live?.onAir ?? false,
      source: live?.source ?? null,
      mode: live?.mode ?? 'off',
      reason: live?.reason ?? null,
      since: live?.since ?? null,
      fallbackEndsAt: live?.fallbackEndsAt ?? null,
      fallbackKind: live?.fallbackKind ?? null,
      // Copied field by field: the engine's objects carry more than the API shows.
      input: input && {
        codec: input.codec,
        width: input.width,
        height: input.height,
        fps: input.fps,
        bitrateKbps: input.bitrateKbps,
        audioCodec: input.audioCodec,
        sampleRate: input.sampleRate,
        channels: input.channels,
        since: input.since,
      },
      outputs: this.#shared.store.destinations.list(id).map((destination) => {
        const output = outputs.get(destination.id);
        if (!output) {
          return {
            id: destination.id,
            name: destination.name,
            state: destination.enabled ? 'idle' : 'disabled',
            bitrateKbps: 0,
            bytes: 0,
            reconnects: 0,
            droppedFrames: 0,
            lastError: null,
            connectedSince: null,
          };
        }
        return {
          id: destination.id,
          name: destination.name,
          state: output.state,
          bitrateKbps: output.bitrateKbps,
          bytes: output.bytes,
          reconnects: output.reconnects,
          droppedFrames: output.droppedFrames,
          lastError: output.lastError,
          connectedSince: output.connectedSince,
        };
      }),
      fallbackJobs,
      previewViewers: live?.previewViewers ?? 0,
      inputHistory: this.#history?.(id) ?? { t: [], v: [] },
    };
  }
}
