import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flvHeader, flvTag, type FlvTag } from '../../../src/media/flv-file.js';
import { encodeMetadata } from '../../../src/media/metadata.js';
import type { MediaPacket } from '../../../src/media/packet.js';
import type { Clock, Timer } from '../../../src/shared/clock.js';
import { FallbackError } from '../../../src/fallback/errors.js';
import { LoopSource } from '../../../src/fallback/loop-source.js';

/** A clock whose timers fire when the test advances time, `lateMs` after they are due (event-loop lag). */
class FakeClock implements Clock {
  t = 0;
  lateMs = 0;
  readonly #timers = new Set<{ at: number; fn: () => void; unref: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.t + ms, fn, unref: () => undefined };
    this.#timers.add(timer);
    return timer;
  }
  clearTimeout(timer: Timer): void {
    this.#timers.delete(timer as never);
  }
  get pending(): number {
    return this.#timers.size;
  }
  /** Moves time to `end`, firing every timer due on the way, in order. */
  advanceTo(end: number): void {
    for (;;) {
      let next: { at: number; fn: () => void } | undefined;
      for (const timer of this.#timers) if (!next || timer.at < next.at) next = timer;
      if (!next || next.at + this.lateMs > end) break;
      this.#timers.delete(next as never);
      this.t = Math.max(this.t, next.at + this.lateMs);
      next.fn();
    }
    this.t = end;
  }
}

const VIDEO_CTS = 133; // two B-frames at 15 fps, as libx264 writes them
const AUDIO_START = 112; // ffmpeg's AAC priming, shifted by the same delay

/** A 1 s H.264/AAC FLV like a conformed rendition: 15 fps, GOP 15, AAC 48 kHz, trailing end-of-sequence. */
function renditionFlv(options: { leadingInterFrame?: boolean; audioUntilMs?: number } = {}): Buffer {
  const tags: FlvTag[] = [
    { kind: 'data', timestamp: 0, payload: encodeMetadata({ width: 320, height: 180, framerate: 15 }) },
    { kind: 'video', timestamp: 0, payload: Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]) },
    { kind: 'audio', timestamp: 0, payload: Buffer.from([0xaf, 0, 0x11, 0x90]) },
  ];
  const shift = options.leadingInterFrame ? 67 : 0;
  if (options.leadingInterFrame)
    tags.push({ kind: 'video', timestamp: 0, payload: Buffer.from([0x27, 1, 0, 0, 0, 0xee]) });
  const media: FlvTag[] = [];
  for (let i = 0; i < 15; i++) {
    const cts = [(VIDEO_CTS >> 16) & 0xff, (VIDEO_CTS >> 8) & 0xff, VIDEO_CTS & 0xff];
    media.push({
      kind: 'video',
      timestamp: shift + Math.round((i * 1000) / 15),
      payload: Buffer.from([i === 0 ? 0x17 : 0x27, 1, ...cts, i]),
    });
  }
  for (let k = 0; AUDIO_START + (k * 1024 * 1000) / 48000 < (options.audioUntilMs ?? 1090); k++) {
    media.push({
      kind: 'audio',
      timestamp: shift + Math.round(AUDIO_START + (k * 1024 * 1000) / 48000),
      payload: Buffer.from([0xaf, 1, k]),
    });
  }
  media.sort((a, b) => a.timestamp - b.timestamp);
  tags.push(...media, { kind: 'video', timestamp: shift + 933, payload: Buffer.from([0x17, 2, 0, 0, 0]) });
  return Buffer.concat([flvHeader(true, true), ...tags.map(flvTag)]);
}

interface Emitted {
  packet: MediaPacket;
  at: number;
}

function play(source: LoopSource, clock: FakeClock): Emitted[] {
  const out: Emitted[] = [];
  source.on('packet', (packet) => out.push({ packet, at: clock.now() }));
  return out;
}

describe('LoopSource', () => {
  it('emits metadata and sequence headers once, first, then media from the keyframe', () => {
    const clock = new FakeClock();
    const source = LoopSource.fromBuffer(renditionFlv(), clock);
    const got = play(source, clock);
    source.start();
    clock.advanceTo(3500);
    expect(got.slice(0, 3).map((e) => [e.packet.kind, e.packet.header])).toEqual([
      ['data', true],
      ['video', true],
      ['audio', true],
    ]);
    expect(got.slice(3).some((e) => e.packet.header)).toBe(false);
    expect(got[3]!.packet).toMatchObject({ kind: 'video', keyframe: true, dts: 0 });
    expect(source.headers.video?.payload.readUInt8(1)).toBe(0);
    expect(source.headers.metadata?.kind).toBe('data');
  });

  it('never emits the end-of-sequence tag ffmpeg writes at the end of an FLV', () => {
    const clock = new FakeClock();
    const source = LoopSource.fromBuffer(renditionFlv(), clock);
    const got = play(source, clock);
    source.start();
    clock.advanceTo(3500);
    expect(got.filter((e) => e.packet.kind === 'video' && e.packet.payload.readUInt8(1) === 2)).toEqual([]);
  });

  it.each([
    { longer: 'video', audioUntilMs: 1090, loopMs: 1000 },
    { longer: 'audio', audioUntilMs: 1200, loopMs: 1088 }, // audio 112..1179 + 21 ms
  ])(
    'keeps each track monotonic across loops, with one shared offset ($longer longer)',
    ({ audioUntilMs, loopMs }) => {
      const clock = new FakeClock();
      const source = LoopSource.fromBuffer(renditionFlv({ audioUntilMs }), clock);
      const all = play(source, clock);
      source.start();
      clock.advanceTo(3 * source.loopDurationMs + 500);
      const got = all.filter((e) => !e.packet.header);
      // The longer presentation span is the loop: video 133..1066 + 67 ms, or audio's.
      expect(source.loopDurationMs).toBe(loopMs);
      for (const kind of ['video', 'audio'] as const) {
        const dts = got.filter((e) => e.packet.kind === kind).map((e) => e.packet.dts);
        expect(dts.length).toBeGreaterThan(3 * 10);
        for (let i = 1; i < dts.length; i++) expect(dts[i]).toBeGreaterThan(dts[i - 1]!);
      }
      // The same frame (same payload Buffer) comes back exactly one loop later, in both tracks.
      const byPayload = new Map<Buffer, number[]>();
      for (const { packet } of got)
        byPayload.set(packet.payload, [...(byPayload.get(packet.payload) ?? []), packet.dts]);
      const offsets = new Set<number>();
      for (const list of byPayload.values())
        for (let i = 1; i < list.length; i++) offsets.add(list[i]! - list[i - 1]!);
      expect([...offsets]).toEqual([source.loopDurationMs]);
      expect([...byPayload.keys()].filter((p) => (byPayload.get(p)?.length ?? 0) >= 3).length).toBe(
        byPayload.size - 0 > 0 ? byPayload.size : 0,
      );
    },
  );

  it('emits each packet when its dts is due, with no drift after 1000 loops', () => {
    const clock = new FakeClock();
    clock.t = 12_345;
    const source = LoopSource.fromBuffer(renditionFlv(), clock);
    let count = 0;
    let worst = 0;
    let last: MediaPacket | undefined;
    let inOrder = true;
    source.on('packet', (packet) => {
      count++;
      // Across the loop boundary too: the next loop's keyframe is not held back behind this loop's audio.
      if (last && packet.dts < last.dts) inOrder = false;
      last = packet;
      worst = Math.max(worst, Math.abs(clock.now() - 12_345 - packet.dts));
    });
    source.start();
    clock.advanceTo(12_345 + 1000 * source.loopDurationMs);
    expect(worst).toBe(0);
    expect(inOrder).toBe(true);
    expect(last!.dts).toBeGreaterThan(999 * source.loopDurationMs);
    expect(count).toBeGreaterThan(1000 * 60);
    expect(clock.pending).toBe(1); // one timer at a time, never a pile of them
  });

  it('catches up after late timers without drifting: lateness stays bounded by the lag, not summed', () => {
    const clock = new FakeClock();
    clock.lateMs = 7;
    const source = LoopSource.fromBuffer(renditionFlv(), clock);
    const lateness: number[] = [];
    source.on('packet', (packet) => lateness.push(clock.now() - packet.dts));
    source.start();
    clock.advanceTo(1000 * source.loopDurationMs);
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...lateness)).toBeLessThanOrEqual(8);
    expect(lateness.slice(-100).every((l) => l <= 8)).toBe(true);
  });

  it('re-anchors after a long freeze instead of bursting the backlog out', () => {
    const clock = new FakeClock();
    const source = LoopSource.fromBuffer(renditionFlv(), clock);
    const got = play(source, clock);
    source.start();
    clock.advanceTo(2000);
    const before = got.length;
    const lastDts = got.at(-1)!.packet.dts;
    clock.lateMs = 60_000; // the process was suspended for a minute
    clock.advanceTo(62_000);
    clock.lateMs = 0;
    expect(got.length - before).toBeLessThan(5);
    clock.advanceTo(63_000);
    const after = got.slice(before).map((e) => e.packet.dts);
    expect(after[0]).toBeGreaterThan(lastDts);
    expect(after.at(-1)! - after[0]!).toBeLessThan(1100); // one second played in one second
  });

  it('stops, and resumes with the headers again on the same continuing timeline', () => {
    const clock = new FakeClock();
    const source = LoopSource.fromBuffer(renditionFlv(), clock);
    const got = play(source, clock);
    source.start();
    clock.advanceTo(1500);
    source.stop();
    const stoppedAt = got.length;
    const lastDts = got.at(-1)!.packet.dts;
    clock.advanceTo(5000);
    expect(got.length).toBe(stoppedAt);
    expect(clock.pending).toBe(0);
    source.start();
    clock.advanceTo(5500);
    const resumed = got.slice(stoppedAt);
    expect(resumed.slice(0, 3).every((e) => e.packet.header)).toBe(true);
    expect(resumed[3]!.packet.dts).toBeGreaterThan(lastDts);
    expect(resumed[3]!.at).toBe(5000);
  });

  it('lets a listener stop or restart it mid-tick without a second timer', () => {
    const clock = new FakeClock();
    const source = LoopSource.fromBuffer(renditionFlv(), clock);
    let count = 0;
    source.on('packet', (packet) => {
      count++;
      if (packet.kind === 'video' && packet.dts === 400) source.stop();
    });
    source.start();
    clock.advanceTo(2000);
    const stoppedAfter = count;
    expect(clock.pending).toBe(0);
    clock.advanceTo(4000);
    expect(count).toBe(stoppedAfter);
    let restarted = false;
    source.on('packet', () => {
      if (restarted) return;
      restarted = true;
      source.stop();
      source.start();
    });
    source.start();
    clock.advanceTo(6000);
    expect(clock.pending).toBe(1);
  });

  it('starts at the first keyframe: frames before it are dropped and it becomes dts 0', () => {
    const clock = new FakeClock();
    const source = LoopSource.fromBuffer(renditionFlv({ leadingInterFrame: true }), clock);
    const all = play(source, clock);
    source.start();
    clock.advanceTo(500);
    const got = all.filter((e) => !e.packet.header);
    expect(got[0]!.packet).toMatchObject({ kind: 'video', keyframe: true, dts: 0 });
    expect(got.some((e) => e.packet.payload.readUInt8(e.packet.payload.length - 1) === 0xee)).toBe(false);
  });

  it('refuses a file without a video keyframe, and a file that is not FLV', () => {
    const audioOnly = Buffer.concat([
      flvHeader(true, false),
      flvTag({ kind: 'audio', timestamp: 0, payload: Buffer.from([0xaf, 0, 0x11, 0x90]) }),
      flvTag({ kind: 'audio', timestamp: 21, payload: Buffer.from([0xaf, 1, 0]) }),
    ]);
    expect(() => LoopSource.fromBuffer(audioOnly)).toThrow(FallbackError);
    expect(() => LoopSource.fromBuffer(Buffer.from('hello'))).toThrow(/not an FLV/);
  });
});

describe('LoopSource from a file', () => {
  /** A 6 s rendition at 30 fps with 40 kB frames (about 7 MB, several times the read-ahead). */
  function bigRendition(): Buffer {
    const tags: FlvTag[] = [
      { kind: 'video', timestamp: 0, payload: Buffer.from([0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]) },
      { kind: 'audio', timestamp: 0, payload: Buffer.from([0xaf, 0, 0x11, 0x90]) },
    ];
    const media: FlvTag[] = [];
    for (let i = 0; i < 180; i++) {
      const frame = Buffer.alloc(40_000, i);
      frame.set([i % 60 === 0 ? 0x17 : 0x27, 1, 0, 0, 0]);
      media.push({ kind: 'video', timestamp: Math.round((i * 1000) / 30), payload: frame });
    }
    for (let k = 0; (k * 1024 * 1000) / 48000 < 6000; k++) {
      media.push({
        kind: 'audio',
        timestamp: Math.round((k * 1024 * 1000) / 48000),
        payload: Buffer.from([0xaf, 1, k & 0xff, k >> 8]),
      });
    }
    media.sort((a, b) => a.timestamp - b.timestamp);
    return Buffer.concat([flvHeader(true, true), ...[...tags, ...media].map(flvTag)]);
  }

  it('streams from disk exactly what it would play from memory, across loops', async () => {
    const bytes = bigRendition();
    const file = join(mkdtempSync(join(tmpdir(), 'loop-source-')), 'big.flv');
    writeFileSync(file, bytes);
    const fromMemory = (() => {
      const clock = new FakeClock();
      const source = LoopSource.fromBuffer(bytes, clock);
      const got = play(source, clock);
      source.start();
      clock.advanceTo(14_000);
      return got;
    })();
    const clock = new FakeClock();
    const source = await LoopSource.open(file, clock);
    const got = play(source, clock);
    source.start();
    // Time moves in 10 ms steps; while the source waits on the disk (no timer set) time stands still.
    for (let t = 0; t <= 14_000; t += 10) {
      clock.advanceTo(t);
      while (clock.pending === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    source.close();
    const view = (list: Emitted[]): string[] =>
      list.map(
        (e) =>
          `${e.packet.kind}@${e.packet.dts}:${e.packet.keyframe}:${e.packet.payload.subarray(0, 8).toString('hex')}:${e.packet.payload.length}`,
      );
    expect(got.length).toBeGreaterThan(2 * (180 + 281));
    expect(view(got)).toEqual(view(fromMemory).slice(0, got.length));
    expect(got.length).toBeGreaterThan(fromMemory.length - 20);
  });
});
