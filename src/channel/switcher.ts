import type { Clock } from '../shared/clock.js';
import { TypedEmitter } from '../shared/events.js';
import { encodeMetadata, parseMetadata } from '../media/metadata.js';
import { sameAudioConfig } from '../media/same-audio-config.js';
import { withInbandParameterSets } from '../media/inband-parameter-sets.js';
import { isRandomAccess, nalLengthSize } from '../media/random-access.js';
import { videoCompositionTimeMs } from '../media/video-tag.js';
import type { MediaPacket } from '../media/packet.js';
import type { Program, ProgramHeaders } from './program.js';
import type { SourceName } from '../contract/index.js';
import { SilentTrack, type AudioFormat } from './silent-track.js';
import { SourceClock } from './source-clock.js';

/** What a source has said about itself since it (re)started: its headers, before they reach the program. */
interface SourceState {
  headers: ProgramHeaders;
  /**
   * Added to the source's dts to place it on the program timeline; set when the source goes on air, and
   * unset while an on-air source whose clock jumped waits for its next keyframe.
   */
  offset: number | undefined;
  /** Watches the source's clock for resets and leaps. */
  clock: SourceClock;
  /** Dts of its first audio frame while it has an audio header and no video header. */
  audioSinceDts: number | undefined;
  /** It has sent audio for a while and no video header: it needs a borrowed picture. */
  audioOnly: boolean;
  /** The last audio dts of an audio-only source on air with a borrowed picture. */
  lastAudioDts: number | undefined;
  /** Keyframes refused as splice points (not IDR) while it waited to go on air. */
  nonIdrKeyframes: number;
  /** Spliced at a non-IDR keyframe presenting at this source pts: video presenting before it is dropped. */
  leadingBeforePts: number | undefined;
}

/**
 * What became of a source's packet, so that stall detection watches what reaches the program rather
 * than what arrives: `on-program` it was written; `waiting` the source is wanted and waits for its first
 * keyframe (normal at a start or a return); `standby` it is not wanted but could take the air here (a
 * keyframe after its headers); `unusable` nothing a platform will see (a clock jump's wait for the next
 * keyframe, an old-clock straggler, a packet that would go backwards, an end of sequence).
 */
export type PushResult = 'on-program' | 'waiting' | 'standby' | 'unusable';

const newSourceState = (): SourceState => ({
  headers: {},
  offset: undefined,
  clock: new SourceClock(),
  audioSinceDts: undefined,
  audioOnly: false,
  nonIdrKeyframes: 0,
  leadingBeforePts: undefined,
  lastAudioDts: undefined,
});

/** Keyframes that are not IDR a source may skip before it goes on air at one anyway. */
const maxNonIdrKeyframes = 3;

/** Audio this long with no video header makes a source audio-only (encoders send both headers first). */
const audioOnlyAfterMs = 1000;
/** Without metadata, how long a source on air may take to send its first (headerless) audio frame. */
const silenceGraceMs = 500;
/**
 * How far an audio-only source's audio may run ahead of the borrowed picture: audio this far ahead or
 * more is backlog and is dropped (after a burst the audio rides just under this lead).
 */
const maxAudioLeadMs = 500;
/** Duration of an AAC frame at 48 kHz: the step before borrowed-picture audio joins the program. */
const audioFrameMs = 21;

/** The silent track's format when none is given: the fallback's default. */
const defaultSilentFormat: AudioFormat = { sampleRate: 48000, channels: 2 };

/** Fallback frame duration when the video frame rate is not known yet. */
const defaultFrameMs = 33;

/** Events of the switcher. */
export interface SwitcherEvents {
  /** `to` took the air at its keyframe (the moment platforms start getting it). */
  switch: [from: SourceName | undefined, to: SourceName];
  /** The on-air source's clock jumped (`jumpMs`, + forward): it is re-anchored at its next keyframe. */
  clockJump: [source: SourceName, jumpMs: number];
  /** After a clock jump, the source's keyframe re-anchored it `waitedMs` after the jump. */
  reanchored: [source: SourceName, waitedMs: number];
  /** The wanted source has audio only: the fallback must play to lend it a picture. */
  pictureNeeded: [];
}

/**
 * Chooses which source feeds the program and keeps the program timeline continuous (docs/architecture.md rules 1
 * and 2). A source goes on air only at its first video keyframe after its sequence headers; until then
 * the previous source keeps playing. On air, the source is re-based with one offset for all its tracks,
 * so its first packet lands one frame after the last program packet, or later if wall-clock time has
 * passed (a stall leaves a gap in time, not a backlog). Headers reach the program only when they changed.
 *
 * Every platform always gets both tracks: a source on air without audio is given a silent AAC track in
 * the fallback's format (SilentTrack), and a wanted source with audio only (no video header after a
 * second of audio) borrows the fallback's picture: the fallback stays on air for video while the
 * source's audio replaces the fallback's.
 */
export class Switcher extends TypedEmitter<SwitcherEvents> {
  readonly #program: Program;
  readonly #clock: Clock;
  readonly #sources = new Map<SourceName, SourceState>();
  #onAir: SourceName | undefined;
  #wanted: SourceName | undefined;
  #lastWriteAt = 0;
  /** Clock time of the latest clock jump of the source on air. */
  #jumpedAt = 0;
  #frameMs = defaultFrameMs;
  #lastVideoDts: number | undefined;
  /** Latest presentation time of a video frame on the program (B-frames present after later dts). */
  #maxVideoPts = -Infinity;
  readonly #silence: SilentTrack;
  /** An audio-only source whose audio replaces the on-air fallback's (the fallback lends the picture). */
  #audioFrom: SourceName | undefined;

  /** @param silentFormat the audio format of the silent track (the fallback's, read at each switch). */
  constructor(program: Program, clock: Clock, silentFormat: () => AudioFormat = () => defaultSilentFormat) {
    super();
    this.#program = program;
    this.#clock = clock;
    this.#silence = new SilentTrack(program, silentFormat);
  }

  /** The source currently feeding the program (an audio-only source while it borrows the picture). */
  get onAir(): SourceName | undefined {
    return this.#audioFrom ?? this.#onAir;
  }

  /** The fallback is on air only to lend its picture to an audio-only source: it must keep playing. */
  get borrowsPicture(): boolean {
    return this.#audioFrom !== undefined || this.needsPicture;
  }

  /** The wanted source has audio only and waits for (or has) the fallback's picture. */
  get needsPicture(): boolean {
    const wanted = this.#wanted;
    return wanted !== undefined && wanted !== 'fallback' && this.#sources.get(wanted)?.audioOnly === true;
  }

  /** The source that should be on air (it takes over at its next keyframe). */
  get wanted(): SourceName | undefined {
    return this.#wanted;
  }

  /**
   * Asks for `source` to go on air at its next keyframe; `undefined` takes the program off air now.
   */
  select(source: SourceName | undefined): void {
    this.#wanted = source;
    if (this.#audioFrom !== undefined && this.#audioFrom !== source) this.#releaseAudio();
    if (source === undefined) {
      this.#onAir = undefined;
      this.#maxVideoPts = -Infinity;
      this.#silence.stop();
    } else if (this.needsPicture) {
      this.safeEmit('pictureNeeded');
    }
  }

  /** A source restarted (a new publisher, a fallback loop restart): forget what it said before. */
  resetSource(source: SourceName): void {
    this.#sources.set(source, newSourceState());
    if (this.#onAir === source) this.#onAir = undefined;
    if (this.#audioFrom === source) this.#releaseAudio();
  }

  /** A packet from a source, on the source's own timeline; says whether it reached the program. */
  push(source: SourceName, packet: MediaPacket): PushResult {
    // An encoder's end of sequence (OBS and ffmpeg send one on Stop Streaming) would stop a platform's
    // decoder; the program goes on with another source, or ends with FCUnpublish (RTMP-NOTES.md).
    if (packet.sequenceEnd) return 'unusable';
    let state = this.#sources.get(source);
    if (!state) {
      state = newSourceState();
      this.#sources.set(source, state);
    }
    const normalised = packet.kind === 'data' && packet.header ? canonicalMetadata(packet) : packet;
    if (normalised.header) {
      this.#rememberHeader(state, normalised);
      if (normalised.kind === 'video') state.audioOnly = false;
      // Real audio from the source on air ends its silent track.
      if (normalised.kind === 'audio' && this.#onAir === source) this.#silence.stop();
      const audioReplaced = normalised.kind === 'audio' && this.#audioFrom !== undefined;
      const writes = this.#audioFrom === source ? normalised.kind === 'audio' : this.#onAir === source;
      if (writes && (!audioReplaced || this.#audioFrom === source) && state.offset !== undefined)
        this.#writeHeaderIfChanged(normalised, state.offset, source);
      return 'waiting';
    }
    const now = this.#clock.now();
    const time = state.clock.check(normalised.kind, normalised.dts, now);
    if (time === 'straggler') return 'unusable';
    if (normalised.kind === 'audio') {
      this.#noteAudioOnly(source, state, normalised.dts);
      if (this.#onAir === source) this.#silence.stop(); // audio without a header (MP3) after all
    }
    if (this.#audioFrom === source || (source === this.#wanted && state.audioOnly))
      return this.#pushAudioOnly(source, state, normalised, time === 'jumped');
    // Not wanted (a stall's fallback plays): its audio could take the air again at once.
    if (state.audioOnly) return normalised.kind === 'audio' ? 'standby' : 'unusable';
    // The fallback lends its picture: its own audio gives way to the audio-only source's.
    if (this.#audioFrom !== undefined && normalised.kind === 'audio') return 'unusable';
    if (this.#onAir === source) return this.#pushOnAir(source, state, normalised, time === 'jumped', now);
    const wanted = this.#wanted === source || (source === 'fallback' && this.needsPicture);
    if (!isGateOpen(state, normalised)) return wanted ? 'waiting' : 'unusable';
    if (!wanted) return 'standby';
    const first = this.#takeAir(source, state, normalised, true);
    this.#write(first.packet, first.offset);
    return 'on-program';
  }

  /** An audio-only source sends audio for `audioOnlyAfterMs` with no video header: it borrows a picture. */
  #noteAudioOnly(source: SourceName, state: SourceState, dts: number): void {
    if (state.audioOnly || state.headers.video || !state.headers.audio || source === 'fallback') return;
    state.audioSinceDts ??= dts;
    if (dts - state.audioSinceDts < audioOnlyAfterMs) return;
    state.audioOnly = true;
    if (this.#wanted === source) this.safeEmit('pictureNeeded');
  }

  /**
   * A packet of an audio-only source that is wanted: once the fallback's picture is on air, its audio
   * replaces the fallback's, re-based to follow the program's head (and again after a clock jump).
   */
  #pushAudioOnly(source: SourceName, state: SourceState, packet: MediaPacket, jumped: boolean): PushResult {
    if (packet.kind !== 'audio') return 'unusable';
    if (this.#onAir !== 'fallback') return 'waiting';
    if (this.#audioFrom !== source || jumped || state.offset === undefined) {
      const elapsedMs = this.#clock.now() - this.#lastWriteAt;
      const target = Math.round(this.#program.headDts + Math.max(audioFrameMs, elapsedMs));
      const offset = target - packet.dts;
      state.offset = offset;
      state.clock.anchored(packet.dts, this.#clock.now());
      const from = this.#audioFrom;
      this.#audioFrom = source;
      const header = state.headers.audio;
      if (header) this.#writeHeaderIfChanged({ ...header, dts: packet.dts }, offset, source);
      if (from !== source) this.safeEmit('switch', 'fallback', source);
    } else if (
      state.lastAudioDts !== undefined &&
      packet.dts + state.offset >= this.#program.lastDts('video') + maxAudioLeadMs
    ) {
      // A backlog in a burst (an encoder catching up after a stall) would run ahead of the picture,
      // which plays in real time: it is dropped, and the audio timeline closes over it.
      state.offset -= packet.dts - state.lastAudioDts;
      state.lastAudioDts = packet.dts;
      return 'on-program';
    }
    state.lastAudioDts = packet.dts;
    return this.#write(packet, state.offset) ? 'on-program' : 'unusable';
  }

  /** The audio-only source leaves: the fallback's own audio (and its header) come back. */
  #releaseAudio(): void {
    this.#audioFrom = undefined;
    const fallback = this.#sources.get('fallback');
    const header = fallback?.headers.audio;
    const offset = fallback?.offset;
    if (this.#onAir !== 'fallback' || !header || offset === undefined) return;
    const dts = Math.max(this.#program.lastDts('audio'), 0) - offset;
    this.#writeHeaderIfChanged({ ...header, dts }, offset, 'fallback');
  }

  /**
   * A packet of the source on air. A clock that jumps (an encoder restarting from 0 on the same
   * connection, a pulled stream whose upstream publisher restarted) would otherwise have every packet
   * dropped as going backwards, or open a hole, until it caught up: the source is re-anchored at its next
   * keyframe instead, exactly as at a switch (one offset for all tracks, after the last program packet).
   */
  #pushOnAir(
    source: SourceName,
    state: SourceState,
    packet: MediaPacket,
    jumped: boolean,
    now: number,
  ): PushResult {
    if (jumped && state.offset !== undefined) {
      const jumpMs = packet.dts + state.offset - this.#program.lastDts(packet.kind);
      state.offset = undefined;
      state.clock.followJump(now);
      this.#jumpedAt = now;
      this.safeEmit('clockJump', source, Math.round(jumpMs));
    }
    if (state.offset === undefined) {
      if (!isGateOpen(state, packet)) return 'unusable';
      const first = this.#takeAir(source, state, packet, false);
      this.safeEmit('reanchored', source, now - this.#jumpedAt);
      return this.#write(first.packet, first.offset) ? 'on-program' : 'unusable';
    }
    if (packet.kind === 'video' && state.leadingBeforePts !== undefined) {
      // After a splice at an open-GOP I picture: its leading pictures reference the GOP before it,
      // which the platform never got. The first picture that presents after it ends them.
      if (packet.dts + videoCompositionTimeMs(packet.payload) < state.leadingBeforePts) return 'unusable';
      state.leadingBeforePts = undefined;
    }
    return this.#write(packet, state.offset) ? 'on-program' : 'unusable';
  }

  /**
   * Puts `source` on air (or re-anchors it after a clock jump: `isSwitch` false); returns its first
   * keyframe as it must be sent, and the source's new offset.
   */
  #takeAir(
    source: SourceName,
    state: SourceState,
    keyframe: MediaPacket,
    isSwitch: boolean,
  ): { packet: MediaPacket; offset: number } {
    const head = this.#program.headDts;
    let target = 0;
    if (head !== -Infinity) {
      const elapsedMs = this.#clock.now() - this.#lastWriteAt;
      target = Math.round(head + Math.max(this.#frameMs, elapsedMs));
      // The old source's last reordered (B) frames present after its last dts: the new keyframe must
      // present after all of them, or a player shows frames out of order at the splice.
      const minimumForPts = this.#maxVideoPts + this.#frameMs - videoCompositionTimeMs(keyframe.payload);
      target = Math.max(target, Math.round(minimumForPts));
    }
    const offset = target - keyframe.dts;
    state.offset = offset;
    // Spliced at a keyframe that is not IDR (the encoder sends none): its leading pictures are dropped.
    const idr = state.nonIdrKeyframes <= maxNonIdrKeyframes;
    state.leadingBeforePts = idr ? undefined : keyframe.dts + videoCompositionTimeMs(keyframe.payload);
    state.nonIdrKeyframes = 0;
    state.clock.anchored(keyframe.dts, this.#clock.now());
    const from = this.#audioFrom ?? this.#onAir;
    this.#onAir = source;
    this.#audioFrom = undefined;
    this.#lastVideoDts = undefined;
    const videoHeaderBefore = this.#program.headers().video;
    for (const header of [state.headers.metadata, state.headers.video, state.headers.audio]) {
      if (header) this.#writeHeaderIfChanged({ ...header, dts: keyframe.dts }, offset, source);
    }
    // A source without audio gets silence in the fallback's format; one with audio stops it. Metadata
    // says whether there is audio; without it, a headerless codec (MP3) gets a moment to show itself.
    const audio = state.headers.audio ? true : metadataHasAudio(state.headers.metadata);
    if (audio === true) this.#silence.stop();
    else this.#silence.start(target, audio === false ? 0 : silenceGraceMs);
    if (isSwitch) this.safeEmit('switch', from, source);
    // New decoder configuration mid-stream: repeat it in-band so every decoder switches at this frame.
    const videoHeader = state.headers.video;
    if (!videoHeaderBefore || !videoHeader || videoHeaderBefore.payload.equals(videoHeader.payload))
      return { packet: keyframe, offset };
    const payload = withInbandParameterSets(keyframe.payload, videoHeader.payload);
    return { packet: payload ? { ...keyframe, payload } : keyframe, offset };
  }

  #rememberHeader(state: SourceState, packet: MediaPacket): void {
    if (packet.kind === 'data') state.headers.metadata = packet;
    else state.headers[packet.kind] = packet;
  }

  #writeHeaderIfChanged(packet: MediaPacket, offset: number, source: SourceName): void {
    const current = this.#program.headers();
    const cached = packet.kind === 'data' ? current.metadata : current[packet.kind];
    if (cached && sameHeader(cached, packet)) return;
    // Platforms keep the metadata of the streamer's encoder; the fallback's own says nothing they need.
    if (packet.kind === 'data' && source === 'fallback' && cached) return;
    this.#write(packet, offset);
  }

  #write(packet: MediaPacket, offset: number): boolean {
    const dts = Math.max(0, packet.dts + offset);
    if (!this.#program.write(dts === packet.dts ? packet : { ...packet, dts })) return false;
    this.#lastWriteAt = this.#clock.now();
    if (packet.kind === 'video' && !packet.header) {
      this.#learnFrameDuration(dts);
      this.#maxVideoPts = Math.max(this.#maxVideoPts, dts + videoCompositionTimeMs(packet.payload));
      this.#silence.fillTo(dts);
    }
    return true;
  }

  #learnFrameDuration(dts: number): void {
    const previous = this.#lastVideoDts;
    this.#lastVideoDts = dts;
    if (previous === undefined) return;
    const step = dts - previous;
    if (step > 0 && step <= 200) this.#frameMs = step;
  }
}

/** The same decoder configuration: audio by meaning (OBS's and ffmpeg's AAC configs differ in bytes only). */
function sameHeader(cached: MediaPacket, packet: MediaPacket): boolean {
  if (packet.kind === 'audio') return sameAudioConfig(cached.payload, packet.payload);
  return cached.payload.equals(packet.payload);
}

/** Whether metadata announces an audio track (`audiocodecid`); undefined without metadata. */
function metadataHasAudio(metadata: MediaPacket | undefined): boolean | undefined {
  if (!metadata) return undefined;
  const meta = parseMetadata(metadata.payload);
  return meta === undefined ? undefined : meta.audiocodecid !== undefined;
}

/**
 * A source may go on air at a video keyframe once its video sequence header has been seen, and only at
 * one a decoder can start from (IDR, not an open-GOP I picture or HEVC CRA: see random-access.ts). An
 * encoder that never sends one still goes on air, at its `maxNonIdrKeyframes + 1`th keyframe.
 */
function isGateOpen(state: SourceState, packet: MediaPacket): boolean {
  const header = state.headers.video;
  if (packet.kind !== 'video' || !packet.keyframe || header === undefined) return false;
  if (isRandomAccess(packet.payload, nalLengthSize(header.payload)) !== false) return true;
  state.nonIdrKeyframes++;
  return state.nonIdrKeyframes > maxNonIdrKeyframes;
}

/** Metadata as platforms get it: `onMetaData` + ECMA array, whichever form the source sent. */
function canonicalMetadata(packet: MediaPacket): MediaPacket {
  const meta = parseMetadata(packet.payload);
  return meta ? { ...packet, payload: encodeMetadata(meta) } : packet;
}
