import { describe, expect, it } from 'vitest';
import { Program } from '../../../src/channel/program.js';
import { Switcher } from '../../../src/channel/switcher.js';
import type { MediaPacket } from '../../../src/media/packet.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import { audio, audioHeader, video, videoHeader } from '../../helpers/synthetic-packets.js';

function recorder(program: Program): MediaPacket[] {
  const got: MediaPacket[] = [];
  program.subscribe({ onPacket: ({ packet }) => got.push(packet) });
  return got;
}

/** A switcher over a program whose packets are recorded in `got`, on a clock the test moves. */
function rig(silence?: ConstructorParameters<typeof Switcher>[2]) {
  const program = new Program();
  const got = recorder(program);
  const clock = new FakeClock();
  const switcher = new Switcher(program, clock, silence);
  return { program, got, clock, switcher };
}

describe('Switcher', () => {
  it('starts a source at its first video keyframe after its headers, on a timeline starting at 0', () => {
    const { got, switcher } = rig();
    switcher.select('live');
    switcher.push('live', audio(900)); // before any header or keyframe: not on air yet
    switcher.push('live', video(1000, true)); // keyframe before the sequence header: still gated
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    switcher.push('live', video(1033));
    switcher.push('live', video(2000, true));
    switcher.push('live', audio(2010));
    expect(switcher.onAir).toBe('live');
    expect(got.map((p) => [p.kind, p.header, p.dts])).toEqual([
      ['video', true, 0],
      ['audio', true, 0],
      ['video', false, 0],
      ['audio', false, 10],
    ]);
  });

  it("never puts an encoder's end of sequence on the program: the broadcast goes on with another source", () => {
    const { got, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', video(0, true));
    // OBS's Stop Streaming, as ffmpeg and OBS send it: AVC end of sequence, then E-RTMP SequenceEnd.
    switcher.push('live', packetFromTag('video', 33, Buffer.from([0x17, 2, 0, 0, 0])));
    switcher.push('live', packetFromTag('video', 33, Buffer.from([0x92, ...Buffer.from('hvc1')])));
    switcher.select('fallback');
    switcher.push('fallback', videoHeader([4, 5, 6]));
    switcher.push('fallback', video(0, true));
    expect(switcher.onAir).toBe('fallback');
    expect(got.filter((p) => p.kind === 'video' && !p.header).map((p) => p.payload.readUInt8(1))).toEqual([
      1, 1,
    ]);
  });

  it('re-bases a returning source one frame after the last program packet, with one offset for both tracks', () => {
    const { got, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    for (let i = 0; i < 30; i++) {
      switcher.push('live', video(5000 + i * 40, i === 0));
      switcher.push('live', audio(5000 + i * 40 + 5));
    }
    const lastVideo = got.filter((p) => p.kind === 'video').at(-1)!.dts;
    expect(lastVideo).toBe(29 * 40);
    // The publisher reconnects at once; its timestamps restart near 0 (OBS does that).
    switcher.resetSource('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    switcher.push('live', video(10, true));
    switcher.push('live', audio(12));
    const after = got.slice(-2);
    // Headers were byte-identical: not sent again. Head was the last audio (29*40+5); one frame (40) on.
    expect(after.map((p) => [p.kind, p.header, p.dts])).toEqual([
      ['video', false, 29 * 40 + 5 + 40],
      ['audio', false, 29 * 40 + 5 + 40 + 2],
    ]);
  });

  it('puts a new keyframe after the latest presentation time, so B-frames of the old source stay in order', () => {
    const { got, switcher } = rig();
    const withCts = (p: MediaPacket, cts: number): MediaPacket => {
      const payload = Buffer.from(p.payload);
      payload.writeIntBE(cts, 2, 3);
      return { ...p, payload };
    };
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', withCts(video(0, true), 66)); // pts 66
    switcher.push('live', withCts(video(33), 99)); // P frame, pts 132
    switcher.push('live', withCts(video(66), 0)); // B frame, pts 66
    switcher.resetSource('live');
    switcher.push('live', videoHeader());
    switcher.push('live', video(5000, true)); // no B-frames: pts = dts
    // Head dts 66 + one frame would be 99, presenting before the old P frame at 132.
    expect(got.at(-1)!.dts).toBe(132 + 33);
  });

  it('keeps pace with the wall clock: a 3 s outage leaves a 3 s gap, not a backlog', () => {
    const { got, clock, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', video(0, true));
    clock.advance(3000);
    switcher.resetSource('live');
    switcher.push('live', videoHeader());
    switcher.push('live', video(0, true));
    expect(got.at(-1)!.dts).toBe(3000);
  });

  it('sends a sequence header again only when its bytes changed, before the first keyframe of the new source', () => {
    const { program, got, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader([1]));
    switcher.push('live', audioHeader);
    switcher.push('live', video(0, true));
    switcher.resetSource('live');
    switcher.push('live', videoHeader([2]));
    switcher.push('live', audioHeader);
    switcher.push('live', video(0, true));
    expect(got.map((p) => [p.header, p.payload.at(-1)])).toEqual([
      [true, 1],
      [true, 0x90], // the audio header, once
      [false, 0],
      [true, 2],
      [false, 0],
    ]);
    expect(program.headers().video?.payload.at(-1)).toBe(2);
  });

  it("does not re-send an AAC header that says the same as the program's in other bytes (OBS's 2 vs ffmpeg's 5)", () => {
    const { program, got, switcher } = rig();
    const ffmpegAac = { ...audioHeader, payload: Buffer.from('af00119056e500', 'hex') };
    switcher.select('fallback');
    switcher.push('fallback', videoHeader());
    switcher.push('fallback', ffmpegAac);
    switcher.push('fallback', video(0, true));
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader); // OBS: af00 1190
    switcher.push('live', video(0, true));
    switcher.push('live', audio(10));
    expect(got.filter((p) => p.kind === 'audio' && p.header)).toHaveLength(1);
    expect(program.headers().audio?.payload.equals(ffmpegAac.payload)).toBe(true);
  });

  it('re-anchors an on-air source whose clock restarts from 0 at its next keyframe, as a switch would', () => {
    const { got, clock, switcher } = rig();
    const events: string[] = [];
    switcher.on('switch', (from, to) => events.push(`switch ${from ?? '-'}>${to}`));
    switcher.on('reanchored', (source) => events.push(`reanchored ${source}`));
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    const results: string[] = [];
    const push = (packet: MediaPacket) => results.push(switcher.push('live', packet));
    for (let t = 10_000; t < 12_000; t += 100) {
      push(video(t, t === 10_000));
      push(audio(t + 10));
      clock.advance(100);
    }
    // The encoder restarts its clock: a delta frame first, then the other track's last old packet.
    push(video(0));
    push(audio(12_010)); // a straggler on the old clock
    push(audio(10));
    push(video(100, true));
    push(audio(110));
    push(video(200));
    const videoDts = got.filter((p) => p.kind === 'video' && !p.header).map((p) => p.dts);
    const audioDts = got.filter((p) => p.kind === 'audio' && !p.header).map((p) => p.dts);
    // The restarted clock goes on one frame after the last program frame, not dropped as "backwards".
    expect(videoDts.slice(-3)).toEqual([1900, 2010, 2110]);
    expect(audioDts.slice(-2)).toEqual([1910, 2020]);
    expect(results.slice(-6)).toEqual([
      'unusable',
      'unusable',
      'unusable',
      'on-program',
      'on-program',
      'on-program',
    ]);
    expect(events).toEqual(['switch ->live', 'reanchored live']);
  });

  it('re-anchors an on-air source whose clock leaps ahead, instead of leaving the leap as a hole', () => {
    const { got, clock, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    for (let t = 0; t < 1000; t += 100) {
      switcher.push('live', video(t, t === 0));
      clock.advance(100);
    }
    switcher.push('live', video(60_000, true));
    switcher.push('live', video(60_100));
    expect(
      got
        .filter((p) => !p.header)
        .map((p) => p.dts)
        .slice(-3),
    ).toEqual([900, 1000, 1100]);
  });

  it('does not take a real gap (frames dropped during a network stall, wall time passing) for a jump', () => {
    const { got, clock, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    switcher.push('live', video(0, true));
    clock.advance(3000);
    expect(switcher.push('live', video(3000))).toBe('on-program');
    expect(got.filter((p) => !p.header).map((p) => p.dts)).toEqual([0, 3000]);
  });

  it('gives a video-only source silent AAC in the given format, on its timeline, and stops at real audio', () => {
    const { got, clock, switcher } = rig(() => ({ sampleRate: 48000, channels: 2 }));
    switcher.select('live');
    switcher.push('live', videoHeader());
    for (let t = 0; t <= 1000; t += 100) {
      switcher.push('live', video(t, t === 0));
      clock.advance(100);
    }
    const audioPackets = got.filter((p) => p.kind === 'audio');
    expect(audioPackets[0]).toMatchObject({ header: true, dts: 0 });
    const frames = audioPackets.filter((p) => !p.header).map((p) => p.dts);
    // 1024 samples at 48 kHz: 21.33 ms apart, up to the last video frame.
    expect(frames.length).toBe(Math.floor(1000 / (1024 / 48)) + 1);
    expect(frames[0]).toBe(0);
    expect(frames.at(-1)).toBeLessThanOrEqual(1000);
    // The encoder starts sending audio: the silence stops, the real audio takes over.
    switcher.push('live', audioHeader);
    const before = got.length;
    switcher.push('live', video(1100));
    switcher.push('live', audio(1110));
    expect(got.slice(before).map((p) => [p.kind, p.dts])).toEqual([
      ['video', 1100],
      ['audio', 1110],
    ]);
  });

  it('lends an audio-only source the fallback picture: fallback video, live audio, one timeline', () => {
    const { got, clock, switcher } = rig();
    let pictureNeeded = 0;
    switcher.on('pictureNeeded', () => pictureNeeded++);
    const liveAudio = (dts: number): MediaPacket => ({
      ...audio(dts),
      payload: Buffer.from([0xaf, 1, 0xee]),
    });
    switcher.select('live');
    switcher.push('live', audioHeader);
    let t = 0;
    for (; t <= 1000; t += 20) {
      expect(switcher.push('live', liveAudio(5000 + t))).toBe('waiting');
      clock.advance(20);
    }
    expect(pictureNeeded).toBe(1);
    expect(switcher.needsPicture).toBe(true);
    // The fallback starts for its picture: its keyframe takes the air although live is wanted.
    switcher.push('fallback', videoHeader());
    switcher.push('fallback', audioHeader);
    switcher.push('fallback', video(0, true));
    switcher.push('fallback', audio(0));
    expect(switcher.onAir).toBe('fallback');
    // Live audio replaces the fallback's.
    expect(switcher.push('live', liveAudio(5000 + t))).toBe('on-program');
    expect(switcher.onAir).toBe('live');
    expect(switcher.borrowsPicture).toBe(true);
    clock.advance(20);
    switcher.push('fallback', video(33));
    switcher.push('fallback', audio(40));
    switcher.push('live', liveAudio(5020 + t));
    const audioOut = got.filter((p) => p.kind === 'audio' && !p.header);
    expect(audioOut.map((p) => p.payload.at(-1))).toEqual([0, 0xee, 0xee]);
    expect(got.filter((p) => p.kind === 'video' && !p.header).map((p) => p.dts)).toEqual([0, 33]);
    const dts = got.filter((p) => !p.header).map((p) => p.dts);
    expect(dts).toEqual([...dts].sort((a, b) => a - b));
    // Live drops: the fallback's own audio comes back.
    switcher.select('fallback');
    expect(switcher.borrowsPicture).toBe(false);
    clock.advance(100);
    switcher.push('fallback', audio(200));
    expect(got.at(-1)).toMatchObject({ kind: 'audio', header: false });
    expect(got.at(-1)?.payload.at(-1)).toBe(200);
  });

  it('drops a packet that would take its track backwards (B-frame reordering across a switch)', () => {
    const { got, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    switcher.push('live', video(1000, true));
    switcher.push('live', audio(1100));
    switcher.push('live', audio(1050)); // an encoder's audio jitter going back
    switcher.push('live', audio(1150));
    expect(got.filter((p) => p.kind === 'audio' && !p.header).map((p) => p.dts)).toEqual([100, 150]);
  });

  it('re-bases a source whose (unwrapped) timestamps are past 2^32 onto the program timeline', () => {
    const { got, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    const start = 2 ** 32 - 40;
    switcher.push('live', video(start, true));
    switcher.push('live', video(start + 40));
    switcher.push('live', video(start + 80));
    expect(got.filter((p) => !p.header).map((p) => p.dts)).toEqual([0, 40, 80]);
  });

  it('takes the program off air at once when no source is wanted', () => {
    const { got, switcher } = rig();
    switcher.select('live');
    switcher.push('live', videoHeader());
    switcher.push('live', audioHeader);
    switcher.push('live', video(0, true));
    switcher.select(undefined);
    switcher.push('live', video(40));
    expect(switcher.onAir).toBeUndefined();
    expect(got.filter((p) => !p.header)).toHaveLength(1);
  });
});

describe('Program', () => {
  it('keeps the packets since the latest keyframe for readers that connect late', () => {
    const program = new Program();
    program.write(video(0, true));
    program.write(video(40));
    program.write(video(80, true));
    program.write(audio(90));
    expect(program.recentGop().map((p) => p.packet.dts)).toEqual([80, 90]);
  });

  it('does not cache a GOP larger than its limit', () => {
    const program = new Program(10);
    program.write(video(0, true));
    program.write({ ...video(40), payload: Buffer.alloc(20) });
    expect(program.recentGop()).toHaveLength(0);
  });
});
