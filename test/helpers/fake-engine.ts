/** An engine the observability unit tests steer: emits EngineEvents on demand and answers channelStatus. */
import type {
  ChannelLiveStatus,
  ChannelMode,
  EngineEvents,
  FallbackJob,
  OutputState,
  SourceName,
  SwitchReason,
} from '../../src/contract/index.js';
import { TypedEmitter } from '../../src/shared/events.js';

export class FakeEngine extends TypedEmitter<EngineEvents> {
  readonly statuses = new Map<string, ChannelLiveStatus>();

  channelStatus(channelId: string): ChannelLiveStatus | undefined {
    return this.statuses.get(channelId);
  }

  mode(
    channelId: string,
    mode: ChannelMode,
    reason: SwitchReason,
    at = 0,
    endsAt: number | null = null,
  ): void {
    this.safeEmit('mode', channelId, { mode, reason, at, endsAt });
  }

  switched(channelId: string, from: SourceName | undefined, to: SourceName): void {
    this.safeEmit('switched', channelId, from, to);
  }

  output(channelId: string, id: string, name: string, state: OutputState, error?: string): void {
    this.safeEmit('output', channelId, id, name, state, error);
  }
}

export class FakeJobs extends TypedEmitter<{ job: [job: FallbackJob] }> {
  job(job: FallbackJob): void {
    this.safeEmit('job', job);
  }
}

/** A channel status with one output, for stats and metrics. */
export function liveStatus(
  overrides: Partial<ChannelLiveStatus> = {},
  output: Partial<ChannelLiveStatus['outputs'][number]> = {},
): ChannelLiveStatus {
  return {
    onAir: true,
    source: 'live',
    mode: 'live',
    reason: 'publisher-started',
    since: new Date(0).toISOString(),
    fallbackEndsAt: null,
    fallbackKind: null,
    input: {
      codec: 'h264',
      width: 1280,
      height: 720,
      fps: 30,
      bitrateKbps: 2500,
      audioCodec: 'aac',
      sampleRate: 48000,
      channels: 2,
      since: new Date(0).toISOString(),
    },
    outputs: [
      {
        id: 'd1',
        name: 'Twitch',
        state: 'live',
        lastError: null,
        connectedSince: new Date(0).toISOString(),
        reconnects: 0,
        bytes: 1000,
        bitrateKbps: 2600,
        droppedFrames: 0,
        videoFrames: 0,
        ...output,
      },
    ],
    ...overrides,
  };
}
