import { describe, expect, it } from 'vitest';
import { defaultTrackOf } from '../../../src/media/multitrack.js';
import { inspectAudioTag } from '../../../src/media/audio-tag.js';
import { inspectVideoTag } from '../../../src/media/video-tag.js';

const b = (...bytes: number[]) => Buffer.from(bytes);
const cc = (fourCc: string) => Buffer.from(fourCc, 'latin1');
const u24 = (n: number) => b((n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);

describe('defaultTrackOf', () => {
  it('reduces a many-tracks audio message (E-RTMP v2) to track 0 as a single-track tag', () => {
    const track0 = b(0xfc, 0x01);
    const track1 = b(0xfc, 0x02, 0x03);
    // 0x95: ExHeader audio, Multitrack; 0x11: ManyTracks, CodedFrames; Opus; tracks 1 then 0.
    const payload = Buffer.concat([b(0x95, 0x11), cc('Opus'), b(1), u24(3), track1, b(0), u24(2), track0]);
    const reduced = defaultTrackOf('audio', payload);
    expect(reduced).toEqual(Buffer.concat([b(0x91), cc('Opus'), track0]));
    expect(inspectAudioTag(reduced!)).toMatchObject({ codec: 'opus', multitrack: false });
  });

  it('reduces a many-codecs video keyframe to track 0, keeping frame type, FourCC and composition time', () => {
    const hevcBody = b(0, 0, 0, 0, 0, 0, 2, 0x26, 0x01);
    const avcBody = b(0, 0, 0, 0, 0, 0, 2, 0x65, 0x88);
    // 0x96: ExHeader, key frame, Multitrack; 0x21: ManyTracksManyCodecs, CodedFrames.
    const payload = Buffer.concat([
      b(0x96, 0x21),
      cc('hvc1'),
      b(1),
      u24(hevcBody.length),
      hevcBody,
      cc('avc1'),
      b(0),
      u24(avcBody.length),
      avcBody,
    ]);
    const reduced = defaultTrackOf('video', payload)!;
    expect(reduced).toEqual(Buffer.concat([b(0x91), cc('avc1'), avcBody]));
    expect(inspectVideoTag(reduced)).toMatchObject({ codec: 'avc', keyframe: true, multitrack: false });
  });

  it('drops a one-track message of another track, and leaves single-track and legacy tags alone', () => {
    expect(defaultTrackOf('audio', Buffer.concat([b(0x95, 0x01), cc('Opus'), b(2), b(0xfc)]))).toBeNull();
    expect(defaultTrackOf('audio', Buffer.concat([b(0x95, 0x01), cc('Opus'), b(0), b(0xfc)]))).toEqual(
      Buffer.concat([b(0x91), cc('Opus'), b(0xfc)]),
    );
    expect(defaultTrackOf('audio', b(0xaf, 1, 0x21))).toBeUndefined();
    expect(defaultTrackOf('video', b(0x17, 1, 0, 0, 0))).toBeUndefined();
    expect(defaultTrackOf('video', Buffer.concat([b(0x91), cc('hvc1')]))).toBeUndefined();
    // Cut short: sent as it is rather than guessed at.
    expect(
      defaultTrackOf('audio', Buffer.concat([b(0x95, 0x11), cc('Opus'), b(0), u24(9), b(1)])),
    ).toBeUndefined();
  });
});
