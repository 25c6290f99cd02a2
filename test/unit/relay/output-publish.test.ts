import { duplexPair } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Program } from '../../../src/channel/program.js';
import { AmfEcmaArray, encodeAmf0 } from '../../../src/media/amf0.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { Output } from '../../../src/relay/output.js';
import type { RtmpMessage } from '../../../src/rtmp/chunk-reader.js';
import type { Command } from '../../../src/rtmp/commands.js';
import { MessageType } from '../../../src/rtmp/control.js';
import { ServerSession, type StreamDecision } from '../../../src/rtmp/server-session.js';
import { fixtureHeaders } from '../../helpers/media-fixtures.js';
import { waitFor } from '../../helpers/process.js';

/** How long the platform takes to answer publish (Twitch: about 1.4 s, RTMP-NOTES.md). */
const publishStartDelayMs = 1500;

describe('Output publishing', () => {
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

    // The platform: this project's RTMP server session over an in-memory pipe, slow to accept.
    const [near, far] = duplexPair();
    const commands: Command[] = [];
    const media: { message: RtmpMessage; at: number }[] = [];
    let acceptedAt = Infinity;
    const platform = new ServerSession(far, {
      authorizePublish: () =>
        new Promise<StreamDecision>((resolve) => {
          setTimeout(() => {
            acceptedAt = Date.now();
            resolve({ ok: true });
          }, publishStartDelayMs);
        }),
      authorizePlay: () => ({ ok: false, code: 'BadName', description: 'publish only' }),
    });
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

    const names = commands.map((c) => c.name);
    expect(names.filter((n) => n !== '_checkbw')).toEqual([
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
});
