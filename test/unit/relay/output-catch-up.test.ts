import { duplexPair } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Program } from '../../../src/channel/program.js';
import type { MediaPacket } from '../../../src/media/packet.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { Output } from '../../../src/relay/output.js';
import { ServerSession } from '../../../src/rtmp/server-session.js';
import { waitFor } from '../../helpers/process.js';
import { fixtureVideoHeader } from '../../helpers/media-fixtures.js';

describe('Output catching up after a drop', () => {
  const outputs: Output[] = [];
  afterEach(() => {
    for (const output of outputs) output.stop(false);
    outputs.length = 0;
  });

  it('resumes at a keyframe after the headers current then, so a header that changed while it skipped is not lost', async () => {
    const program = new Program();
    const first = fixtureVideoHeader('h264-main-426x240-aac48-mono.flv');
    const second = fixtureVideoHeader('h264-baseline-854x480-aac44-stereo.flv');
    expect(second.payload.equals(first.payload)).toBe(false);
    let dts = 0;
    let serial = 0;
    // H.264 NALU packets with a serial number in their bytes, so each is recognised where it lands.
    const frame = (keyframe: boolean, sizeBytes: number): MediaPacket => {
      const body = Buffer.alloc(sizeBytes, 7);
      body.writeUInt32BE(++serial);
      return packetFromTag(
        'video',
        (dts += 33),
        Buffer.concat([Buffer.from([keyframe ? 0x17 : 0x27, 1, 0, 0, 0]), body]),
      );
    };
    program.write({ ...first, dts: 0 });
    program.write(frame(true, 1000));

    // The platform: this project's RTMP server session on the far end of an in-memory pipe.
    const [near, far] = duplexPair();
    const received: MediaPacket[] = [];
    const platform = new ServerSession(far, {
      authorizePublish: () => ({ ok: true }),
      authorizePlay: () => ({ ok: false, code: 'BadName', description: 'publish only' }),
    });
    platform.on('media', (packet) => received.push(packet));
    const output = new Output(
      { id: 'd1', name: 'Slow', url: 'rtmp://127.0.0.1:1/app/key', enabled: true },
      { feed: program, dial: () => Promise.resolve(near), queueLimitBytes: 64 * 1024 },
    );
    outputs.push(output);
    output.start();
    await waitFor(() => output.state === 'live', { what: 'the output to go live', timeoutMs: 5000 });

    // The platform stops reading: the pipe fills, then the output's queue, and it drops frames. (A frame
    // a tick, as media arrives: what one tick writes is corked, not yet congestion.)
    far.pause();
    for (let i = 0; i < 200; i++) {
      program.write(frame(false, 4096));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(output.snapshot().droppedFrames).toBeGreaterThan(0);
    // While it waits for a keyframe, the program's header changes (a switch to another source), then
    // that source's first keyframe comes.
    program.write({ ...second, dts: (dts += 33) });
    const resumesAt = frame(true, 1000);
    program.write(resumesAt);
    far.resume();

    const isResumeFrame = (packet: MediaPacket): boolean => packet.payload.equals(resumesAt.payload);
    await waitFor(() => received.some(isResumeFrame), {
      what: 'the keyframe after the drop',
      timeoutMs: 5000,
    });
    const before = received.slice(0, received.findIndex(isResumeFrame));
    const lastHeader = before.filter((packet) => packet.kind === 'video' && packet.header).at(-1);
    expect(lastHeader?.payload.equals(second.payload)).toBe(true);
  });
});
