import { duplexPair, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Program } from '../../../src/channel/program.js';
import { AmfEcmaArray, encodeAmf0 } from '../../../src/media/amf0.js';
import type { MediaPacket } from '../../../src/media/packet.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { Output } from '../../../src/relay/output.js';
import type { RtmpMessage } from '../../../src/rtmp/chunk-reader.js';
import type { Command } from '../../../src/rtmp/commands.js';
import { MessageType } from '../../../src/rtmp/control.js';
import { ServerSession, type StreamDecision } from '../../../src/rtmp/server-session.js';
import { fixtureHeaders, fixtureVideoHeader } from '../../helpers/media-fixtures.js';
import { waitFor } from '../../helpers/process.js';

/** How long the platform takes to answer publish (Twitch: about 1.4 s, RTMP-NOTES.md). */
const publishStartDelayMs = 1500;

/**
 * A platform: this project's RTMP server session on the far end of an in-memory pipe, deciding each
 * publish with `authorizePublish`. The output dials `near`; `far` can be paused like a stalled reader.
 */
function pipedPlatform(authorizePublish: () => StreamDecision | Promise<StreamDecision>): {
  near: Duplex;
  far: Duplex;
  platform: ServerSession;
} {
  const [near, far] = duplexPair();
  const platform = new ServerSession(far, {
    authorizePublish,
    authorizePlay: () => ({ ok: false, code: 'BadName', description: 'publish only' }),
  });
  return { near, far, platform };
}

describe('Output against a platform', () => {
  const outputs: Output[] = [];
  afterEach(() => {
    for (const output of outputs) output.stop(false);
    outputs.length = 0;
  });

  it('publishes the way OBS does and sends nothing before Publish.Start, then metadata, headers and a keyframe', async () => {
    const program = new Program();
    const { video, audio } = fixtureHeaders('h264-main-426x240-aac48-mono.flv');
    if (!video || !audio) throw new Error('fixture without headers');
    const metadata = packetFromTag(
      'data',
      0,
      encodeAmf0('@setDataFrame', 'onMetaData', new AmfEcmaArray({ width: 426, height: 240 })),
    );
    for (const packet of [metadata, video, audio]) program.write({ ...packet, dts: 0 });
    const keyframe = packetFromTag('video', 0, Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]));
    program.write(keyframe);

    // A platform slow to accept.
    let acceptedAt = Infinity;
    const { near, platform } = pipedPlatform(
      () =>
        new Promise<StreamDecision>((resolve) => {
          setTimeout(() => {
            acceptedAt = Date.now();
            resolve({ ok: true });
          }, publishStartDelayMs);
        }),
    );
    const commands: Command[] = [];
    const media: { message: RtmpMessage; at: number }[] = [];
    platform.connection.on('command', (command) => commands.push(command));
    platform.connection.on('message', (message) => media.push({ message, at: Date.now() }));

    const output = new Output(
      {
        id: 'd1',
        name: 'Twitch',
        url: 'rtmp://127.0.0.1:1935/app/live_key?bandwidthtest=true',
        enabled: true,
      },
      { feed: program, dial: () => Promise.resolve(near) },
    );
    outputs.push(output);
    output.start();
    await waitFor(() => commands.some((c) => c.name === 'publish'), { what: 'publish', timeoutMs: 5000 });
    // Still waiting for the platform: connected, not live, and no media sent.
    expect(output.state).toBe('connecting');
    await waitFor(() => media.length >= 4, { what: 'the first media', timeoutMs: 5000 });
    expect(output.state).toBe('live');

    expect(commands.map((c) => c.name)).toEqual([
      'connect',
      'releaseStream',
      'FCPublish',
      'createStream',
      'publish',
    ]);
    expect(commands[0]?.commandObject).toMatchObject({
      app: 'app',
      type: 'nonprivate',
      flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)',
      tcUrl: 'rtmp://127.0.0.1:1935/app',
    });
    // The stream key with its query string, as OBS composes server URL + key; on the created stream.
    const publish = commands.find((c) => c.name === 'publish');
    expect(publish?.args).toEqual(['live_key?bandwidthtest=true', 'live']);
    expect(publish?.streamId).toBeGreaterThan(0);

    expect(Math.min(...media.map((m) => m.at))).toBeGreaterThanOrEqual(acceptedAt);
    const first = media.slice(0, 4).map(({ message }) => message);
    expect(first.map((m) => m.typeId)).toEqual([
      MessageType.dataAmf0,
      MessageType.video,
      MessageType.audio,
      MessageType.video,
    ]);
    expect(first[1]?.payload.equals(video.payload)).toBe(true);
    expect(first[2]?.payload.equals(audio.payload)).toBe(true);
    expect(first[3]?.payload.equals(keyframe.payload)).toBe(true);
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

    const { near, far, platform } = pipedPlatform(() => ({ ok: true }));
    const received: MediaPacket[] = [];
    platform.setMediaSink((packet) => received.push(packet));
    const output = new Output(
      { id: 'd1', name: 'Slow', url: 'rtmp://127.0.0.1:1/app/key', enabled: true },
      // Each tick's writes leave at its end (no coalescing interval), so a stalled pipe shows at once.
      { feed: program, dial: () => Promise.resolve(near), queueLimitBytes: 64 * 1024, flushIntervalMs: 0 },
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
