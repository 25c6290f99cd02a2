import { TypedEmitter } from '../shared/events.js';
import type { Clock, Timer } from '../shared/clock.js';
import type {
  ChannelAction,
  ChannelMode,
  ContinuitySettings,
  ModeChange,
  SwitchReason,
} from '../contract/index.js';

export { defaultContinuitySettings } from '../contract/index.js';

/** Events of the continuity state machine. */
export interface ContinuityEvents {
  change: [change: ModeChange];
}

/** How far above the threshold the bitrate must come back before low-bitrate fallback ends. */
const recoveryFactor = 1.25;

/**
 * Decides, from what the publisher does, which source a channel should have on air (docs/architecture.md rule 4):
 * a drop or a stall goes to fallback until the publisher returns or `fallbackTimeoutMs` ends it; a
 * clean stop follows its own policy; manual actions override. A broadcast begins with its publisher's
 * first usable media: before it the platforms have had nothing, so there is no drop to hide and the
 * fallback could only guess the stream's settings. Until then silence is waited out (up to
 * `fallbackTimeoutMs`, then off) and a publisher that leaves ends the attempt. Pure logic over an
 * injected clock: the runtime feeds it events and applies its changes.
 */
export class Continuity extends TypedEmitter<ContinuityEvents> {
  #settings: ContinuitySettings;
  readonly #clock: Clock;
  #change: ModeChange;
  #publisherPresent = false;
  /** On air for a publisher that has sent nothing usable yet (an encoder warming up, a pull's idle upstream). */
  #awaitingFirstMedia = false;
  #stalled = false;
  #lastMediaAt = 0;
  #stallTimer: Timer | undefined;
  #endTimer: Timer | undefined;
  #windowStart = 0;
  #windowBytes = 0;
  #lowSince: number | undefined;
  #okSince: number | undefined;

  constructor(settings: ContinuitySettings, clock: Clock) {
    super();
    this.#settings = settings;
    this.#clock = clock;
    this.#change = { mode: 'off', reason: 'fallback-timeout', at: clock.now(), endsAt: null };
  }

  get state(): Readonly<ModeChange> {
    return this.#change;
  }

  get settings(): Readonly<ContinuitySettings> {
    return this.#settings;
  }

  /** New settings apply at once (a running fallback timer is re-armed from its start). */
  updateSettings(settings: ContinuitySettings): void {
    this.#settings = settings;
    if (this.#change.mode === 'fallback' && this.#change.endsAt !== null) {
      const limit =
        this.#change.reason === 'clean-stop' ? settings.cleanStopGraceMs : settings.fallbackTimeoutMs;
      this.#armEnd(this.#change.at + limit);
    }
    this.#armStall();
  }

  /** A publisher took the channel (first start, a return, or a takeover). */
  publisherStarted(): void {
    this.#publisherPresent = true;
    this.#stalled = false;
    this.#lastMediaAt = this.#clock.now();
    this.#resetBitrate();
    if (this.#change.mode === 'off') {
      this.#awaitingFirstMedia = true;
      this.#set('live', 'publisher-started');
    } else if (this.#change.mode === 'fallback' && this.#change.reason !== 'manual')
      this.#set('live', 'publisher-returned');
    this.#armStall();
  }

  /**
   * A live media packet of `sizeBytes` arrived; `usable` when it reached the program (or can take the
   * air), which is what ends or prevents a stall. Every packet counts for the bitrate. Called per packet:
   * keep it cheap.
   */
  liveMedia(sizeBytes: number, usable = true): void {
    const now = this.#clock.now();
    if (this.#settings.lowBitrate) this.#observeBitrate(sizeBytes, now, this.#settings.lowBitrate);
    if (!usable) return;
    this.#lastMediaAt = now;
    if (this.#awaitingFirstMedia) {
      this.#awaitingFirstMedia = false;
      this.#armStall();
    }
    if (this.#stalled) {
      this.#stalled = false;
      this.#armStall();
      if (this.#change.mode === 'fallback' && this.#change.reason === 'publisher-stalled')
        this.#set('live', 'publisher-returned');
    }
  }

  /**
   * The publisher went away: `clean` when OBS said it stops, `revoked` when its key was rotated away
   * (a drop, said as such), `dropped` otherwise.
   */
  publisherEnded(how: 'clean' | 'dropped' | 'revoked'): void {
    this.#publisherPresent = false;
    this.#stalled = false;
    this.#clearStall();
    if (this.#change.mode === 'off') return;
    if (this.#change.mode === 'fallback' && this.#change.reason === 'manual') return;
    const dropReason = how === 'revoked' ? 'key-rotated' : 'publisher-dropped';
    // Nothing has gone to the platforms: the attempt ends, there is no broadcast to keep up.
    if (this.#awaitingFirstMedia) {
      this.#set('off', how === 'clean' ? 'clean-stop' : dropReason);
      return;
    }
    if (how !== 'clean') {
      this.#set('fallback', dropReason);
      return;
    }
    switch (this.#settings.cleanStopAction) {
      case 'end':
        this.#set('off', 'clean-stop');
        return;
      case 'fallback':
      case 'fallback-then-end':
        this.#set('fallback', 'clean-stop');
        return;
    }
  }

  /** A manual action; returns an error message when it cannot apply now. */
  manual(action: ChannelAction): string | undefined {
    switch (action) {
      case 'end':
        if (this.#change.mode !== 'off') this.#set('off', 'manual');
        return undefined;
      case 'fallback':
        if (this.#change.mode === 'off') return 'the channel is off air';
        this.#set('fallback', 'manual');
        return undefined;
      case 'live':
        if (!this.#publisherPresent || this.#stalled) return 'no live input to go back to';
        if (this.#change.mode !== 'live') this.#set('live', 'manual');
        return undefined;
    }
  }

  /** Stops every timer (channel deleted, shutdown). */
  dispose(): void {
    this.#clearStall();
    this.#clearEnd();
    this.removeAllListeners();
  }

  #set(mode: ChannelMode, reason: SwitchReason): void {
    const at = this.#clock.now();
    let endsAt: number | null = null;
    if (mode === 'fallback' && reason !== 'manual') {
      const cleanEnds = reason === 'clean-stop' && this.#settings.cleanStopAction === 'fallback-then-end';
      endsAt = at + (cleanEnds ? this.#settings.cleanStopGraceMs : this.#settings.fallbackTimeoutMs);
    }
    this.#change = { mode, reason, at, endsAt };
    // Only a live start waits for its first media; fallback on air (by hand) is a broadcast begun.
    if (mode !== 'live') this.#awaitingFirstMedia = false;
    this.#clearEnd();
    if (endsAt !== null) this.#armEnd(endsAt);
    if (mode === 'off') {
      this.#clearStall();
      this.#publisherPresent = false;
    }
    this.safeEmit('change', this.#change);
  }

  #armEnd(endsAt: number): void {
    this.#clearEnd();
    this.#change = { ...this.#change, endsAt };
    this.#endTimer = this.#clock.setTimeout(
      () => {
        this.#endTimer = undefined;
        this.#set('off', 'fallback-timeout');
      },
      Math.max(0, endsAt - this.#clock.now()),
    );
  }

  /**
   * One timer, re-armed only when it fires early: per-packet work stays a single assignment. Before the
   * first media it waits as long as a fallback would play (a stall at least), and then ends the attempt.
   */
  #armStall(): void {
    this.#clearStall();
    if (!this.#publisherPresent || this.#stalled) return;
    const { stallTimeoutMs, fallbackTimeoutMs } = this.#settings;
    const limit = this.#awaitingFirstMedia ? Math.max(stallTimeoutMs, fallbackTimeoutMs) : stallTimeoutMs;
    const due = this.#lastMediaAt + limit;
    this.#stallTimer = this.#clock.setTimeout(
      () => {
        this.#stallTimer = undefined;
        if (this.#clock.now() - this.#lastMediaAt < limit) {
          this.#armStall();
          return;
        }
        this.#stalled = true;
        if (this.#awaitingFirstMedia) this.#set('off', 'publisher-stalled');
        else if (this.#change.mode === 'live') this.#set('fallback', 'publisher-stalled');
      },
      Math.max(0, due - this.#clock.now()),
    );
  }

  #observeBitrate(sizeBytes: number, now: number, rule: { thresholdKbps: number; windowMs: number }): void {
    if (this.#windowStart === 0) this.#windowStart = now;
    this.#windowBytes += sizeBytes;
    const elapsed = now - this.#windowStart;
    if (elapsed < 1000) return;
    const kbps = (this.#windowBytes * 8) / elapsed;
    this.#windowStart = now;
    this.#windowBytes = 0;
    // Hysteresis: low below the threshold, recovered only clearly above it, each for a whole window.
    if (kbps < rule.thresholdKbps) {
      this.#okSince = undefined;
      this.#lowSince ??= now;
      if (this.#change.mode === 'live' && now - this.#lowSince >= rule.windowMs)
        this.#set('fallback', 'low-bitrate');
    } else if (kbps >= rule.thresholdKbps * recoveryFactor) {
      this.#lowSince = undefined;
      this.#okSince ??= now;
      if (
        this.#change.mode === 'fallback' &&
        this.#change.reason === 'low-bitrate' &&
        now - this.#okSince >= rule.windowMs
      ) {
        this.#set('live', 'publisher-returned');
      }
    }
  }

  #resetBitrate(): void {
    this.#windowStart = 0;
    this.#windowBytes = 0;
    this.#lowSince = undefined;
    this.#okSince = undefined;
  }

  #clearStall(): void {
    if (this.#stallTimer !== undefined) this.#clock.clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  #clearEnd(): void {
    if (this.#endTimer !== undefined) this.#clock.clearTimeout(this.#endTimer);
    this.#endTimer = undefined;
  }
}
