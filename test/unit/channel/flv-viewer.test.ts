import { describe, expect, it } from 'vitest';
import { FlvViewer, type ByteSink, type FlvViewerEnd } from '../../../src/channel/flv-viewer.js';
import { Program } from '../../../src/channel/program.js';
import { readFlv } from '../../../src/media/flv-file.js';
import type { MediaPacket } from '../../../src/media/packet.js';
import { keyframeStart } from '../../../src/rtmp/index.js';
import { audio, audioHeader, video, videoHeader } from '../../helpers/synthetic-packets.js';

const metadata: MediaPacket = {
  kind: 'data',
  dts: 0,
  // '@setDataFrame' 'onMetaData' {} as OBS publishes it.
  payload: Buffer.concat([
    Buffer.from([0x02, 0x00, 0x0d]),
    Buffer.from('@setDataFrame', 'latin1'),
    Buffer.from([0x02, 0x00, 0x0a]),
    Buffer.from('onMetaData', 'latin1'),
    Buffer.from([0x03, 0x00, 0x00, 0x09]),
  ]),
  keyframe: false,
  header: true,
};

/** A sink whose backlog the test sets: what a socket that stopped reading looks like. */
class FakeSink implements ByteSink {
  readonly chunks: Buffer[] = [];
  backlog = 0;
  ended = false;
  destroyed = false;
  get writableLength(): number {
    return this.backlog;
  }
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  /** What a player would read from the bytes so far. */
  tags(): { kind: string; timestamp: number; keyframe: boolean; header: boolean }[] {
    return readFlv(Buffer.concat(this.chunks)).tags.map((tag) => ({
      kind: tag.kind,
      timestamp: tag.timestamp,
      keyframe: tag.kind === 'video' && (tag.payload.readUInt8(0) & 0xf0) === 0x10,
      header: tag.kind === 'data' || tag.payload.readUInt8(1) === 0,
    }));
  }
}

function gop(program: Program, startMs: number): void {
  program.write(video(startMs, true));
  program.write(audio(startMs + 10));
  program.write(video(startMs + 33));
  program.write(audio(startMs + 40));
}

describe('FlvViewer', () => {
  it('starts at the latest keyframe after the current metadata and headers, metadata without @setDataFrame', () => {
    const program = new Program();
    for (const header of [metadata, videoHeader(), audioHeader]) program.write(header);
    program.write(audio(5)); // before any keyframe: never shown
    gop(program, 100);
    const sink = new FakeSink();
    const clock = { now: () => 0 };
    new FlvViewer(program, sink, { clock, keyframeStart });
    gop(program, 200);

    const flv = Buffer.concat(sink.chunks);
    expect(flv.subarray(0, 3).toString('latin1')).toBe('FLV');
    const tags = sink.tags();
    expect(tags.slice(0, 4)).toEqual([
      { kind: 'data', timestamp: 100, keyframe: false, header: true },
      { kind: 'video', timestamp: 100, keyframe: true, header: true },
      { kind: 'audio', timestamp: 100, keyframe: false, header: true },
      { kind: 'video', timestamp: 100, keyframe: true, header: false },
    ]);
    expect(tags.map((t) => t.timestamp).slice(3)).toEqual([100, 110, 133, 140, 200, 210, 233, 240]);
    const meta = readFlv(flv).tags[0]!.payload;
    expect(meta.subarray(3, 13).toString('latin1')).toBe('onMetaData');
  });

  it('drops whole GOPs while its sink is backed up, resumes at a keyframe, and never holds the program', () => {
    const program = new Program();
    for (const header of [videoHeader(), audioHeader]) program.write(header);
    const sink = new FakeSink();
    const viewer = new FlvViewer(program, sink, {
      clock: { now: () => 0 },
      keyframeStart,
      maxBufferedBytes: 1000,
    });
    gop(program, 0);
    sink.backlog = 5000; // the viewer stopped reading
    program.write(video(66));
    program.write(audio(70));
    sink.backlog = 0; // it reads again mid-GOP: nothing until the next keyframe
    program.write(video(100));
    program.write(audio(110));
    gop(program, 200);

    const times = sink
      .tags()
      .filter((t) => !t.header)
      .map((t) => t.timestamp);
    expect(times).toEqual([0, 10, 33, 40, 200, 210, 233, 240]);
    expect(viewer.droppedFrames).toBe(4); // 66 and 70 while backed up, 100 and 110 waiting for a keyframe
  });

  it('is dropped after stalling past its timeout, and ends its stream when the program resets', () => {
    const program = new Program();
    for (const header of [videoHeader(), audioHeader]) program.write(header);
    let now = 0;
    const ends: FlvViewerEnd[] = [];
    const stuck = new FakeSink();
    new FlvViewer(program, stuck, {
      clock: { now: () => now },
      keyframeStart,
      maxBufferedBytes: 1000,
      stallTimeoutMs: 30_000,
      onClose: (why) => ends.push(why),
    });
    const fine = new FakeSink();
    new FlvViewer(program, fine, {
      clock: { now: () => now },
      keyframeStart,
      onClose: (why) => ends.push(why),
    });
    expect(program.readerCount).toBe(2);

    stuck.backlog = 5000;
    gop(program, 0);
    now = 29_000;
    gop(program, 2000);
    expect(stuck.destroyed).toBe(false);
    now = 30_000;
    gop(program, 4000);
    expect(stuck.destroyed).toBe(true);
    expect(ends).toEqual(['stalled']);
    expect(program.readerCount).toBe(1);

    program.reset();
    expect(fine.ended).toBe(true);
    expect(ends).toEqual(['stalled', 'program-ended']);
    expect(program.readerCount).toBe(0);
  });
});
