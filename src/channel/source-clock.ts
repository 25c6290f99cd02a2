import type { MediaKind } from '../media/packet.js';

/** What a source's timestamp says about its clock. */
export type ClockVerdict = 'steady' | 'jumped' | 'straggler';

/** A step back further than this is a clock reset, not an encoder's audio jitter (which the program drops). */
const backwardToleranceMs = 250;
/**
 * A step forward this much beyond the wall time that passed is a clock jump. Compared with the wall
 * clock so that a real gap (OBS dropping frames during a network stall, a low frame rate) is not one.
 */
const forwardToleranceMs = 500;
/** After a jump, packets still on the old timeline (the other track's last few) are dropped this long. */
const stragglerWindowMs = 1000;

interface Mark {
  dts: number;
  at: number;
}

/**
 * Watches one source's timestamps, per track, for a clock that restarts (a hardware or mobile encoder
 * on an input change, a pulled stream whose upstream publisher restarted) or leaps ahead on the same
 * connection. The Switcher re-anchors such a source at its next keyframe, as it does at a switch; until
 * then, the other track's packets still on the old clock are told apart as stragglers.
 */
export class SourceClock {
  readonly #last: Partial<Record<MediaKind, Mark>> = {};
  #oldTimeline: Partial<Record<MediaKind, number>> = {};
  /** The last dts per track before the latest jump, until the caller says it follows that jump. */
  #pending: Partial<Record<MediaKind, number>> = {};
  #oldTimelineUntil = -Infinity;

  /** Classifies a media packet's dts (on the source's own timeline) arriving at clock time `now`. */
  check(kind: MediaKind, dts: number, now: number): ClockVerdict {
    if (kind === 'data') return 'steady';
    if (now < this.#oldTimelineUntil) {
      // Continues the old clock at the pace of the wall clock: the other track's last packets before it
      // too restarted.
      const old = this.#oldTimeline[kind];
      const sinceJumpMs = now - (this.#oldTimelineUntil - stragglerWindowMs);
      if (
        old !== undefined &&
        dts >= old - backwardToleranceMs &&
        dts <= old + sinceJumpMs + forwardToleranceMs
      )
        return 'straggler';
    }
    const last = this.#last[kind];
    if (last === undefined) {
      this.#last[kind] = { dts, at: now };
      return 'steady';
    }
    const back = dts < last.dts - backwardToleranceMs;
    const ahead = dts - last.dts - (now - last.at) > forwardToleranceMs;
    if (!back && !ahead) {
      // The mark moves in place (this runs for every packet); jitter keeps the high-water mark.
      if (dts >= last.dts) {
        last.dts = dts;
        last.at = now;
      }
      return 'steady';
    }
    this.#pending = {};
    for (const track of ['audio', 'video'] as const) {
      const mark = track === kind ? last : this.#last[track];
      if (mark) this.#pending[track] = mark.dts;
    }
    this.#last[kind] = { dts, at: now };
    if (kind === 'audio') delete this.#last.video;
    else delete this.#last.audio;
    return 'jumped';
  }

  /**
   * The caller acts on the jump just reported (the source is on air): for a moment, packets that continue
   * the old clock are stragglers, not a second jump.
   */
  followJump(now: number): void {
    this.#oldTimeline = this.#pending;
    this.#oldTimelineUntil = now + stragglerWindowMs;
  }

  /** The source was (re-)anchored at a keyframe of dts `dts`: both tracks continue from there. */
  anchored(dts: number, now: number): void {
    this.#last.video = { dts, at: now };
    this.#last.audio = { dts, at: now };
  }

  /** Forgets everything (the source restarted). */
  reset(): void {
    delete this.#last.audio;
    delete this.#last.video;
    this.#oldTimeline = {};
    this.#oldTimelineUntil = -Infinity;
  }
}
