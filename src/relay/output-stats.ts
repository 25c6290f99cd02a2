import type { Clock } from '../shared/clock.js';
import type { MediaPacket } from '../media/packet.js';
import type { OutputState, OutputStatsSnapshot } from '../contract/index.js';

export type { OutputState, OutputStatsSnapshot } from '../contract/index.js';

/** The counters behind an output's status. */
export class OutputStats {
  state: OutputState = 'idle';
  lastError: string | undefined;
  readonly #clock: Clock;
  #liveAt: number | undefined;
  #connectedSince: string | null = null;
  #reconnects = 0;
  #bytesBefore = 0;
  #lastSampleBytes = 0;
  #lastSampleAt = 0;
  #bitrateKbps = 0;
  #dropped = 0;
  #videoFrames = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  connected(): void {
    this.#liveAt = this.#clock.now();
    this.#connectedSince = new Date().toISOString();
    this.#lastSampleBytes = 0;
    this.#lastSampleAt = this.#liveAt;
    this.lastError = undefined;
  }

  disconnected(bytesWritten: number): void {
    this.#bytesBefore += bytesWritten;
    this.#liveAt = undefined;
    this.#connectedSince = null;
    this.#bitrateKbps = 0;
  }

  retrying(error: string): void {
    this.#reconnects++;
    this.lastError = error;
  }

  failed(error: string): void {
    this.lastError = error;
  }

  sent(packet: MediaPacket): void {
    if (packet.kind === 'video' && !packet.header) this.#videoFrames++;
  }

  dropped(frames: number): void {
    this.#dropped += frames;
  }

  /** Takes a bitrate sample from the current connection's byte counter. */
  sample(bytesWritten: number): void {
    const now = this.#clock.now();
    const elapsedMs = now - this.#lastSampleAt;
    if (elapsedMs <= 0) return;
    this.#bitrateKbps = Math.round(((bytesWritten - this.#lastSampleBytes) * 8) / elapsedMs);
    this.#lastSampleBytes = bytesWritten;
    this.#lastSampleAt = now;
  }

  liveForMs(): number {
    return this.#liveAt === undefined ? 0 : this.#clock.now() - this.#liveAt;
  }

  snapshot(currentBytes: number): OutputStatsSnapshot {
    return {
      state: this.state,
      lastError: this.lastError ?? null,
      connectedSince: this.#connectedSince,
      reconnects: this.#reconnects,
      bytes: this.#bytesBefore + currentBytes,
      bitrateKbps: this.#bitrateKbps,
      droppedFrames: this.#dropped,
      videoFrames: this.#videoFrames,
    };
  }
}
