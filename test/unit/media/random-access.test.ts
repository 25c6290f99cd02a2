import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { avcParameterSets, withInbandParameterSets } from '../../../src/media/inband-parameter-sets.js';
import { readFlv } from '../../../src/media/flv-file.js';
import type { MediaPacket } from '../../../src/media/packet.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { isRandomAccess, nalLengthSize } from '../../../src/media/random-access.js';
import { findProgram } from '../../helpers/programs.js';
import { makeTempDir } from '../../helpers/tmp.js';

const ffmpeg = findProgram('ffmpeg');

function packets(file: string): MediaPacket[] {
  return readFlv(readFileSync(file)).tags.map((tag) => packetFromTag(tag.kind, tag.timestamp, tag.payload));
}

function keyframeVerdicts(all: MediaPacket[]): (boolean | undefined)[] {
  const header = all.find((p) => p.kind === 'video' && p.header);
  return all
    .filter((p) => p.kind === 'video' && p.keyframe && !p.header)
    .map((p) => isRandomAccess(p.payload, nalLengthSize(header?.payload)));
}

const fixture = (name: string) => new URL(`../../fixtures/media/${name}`, import.meta.url).pathname;

describe('isRandomAccess', () => {
  it.skipIf(!ffmpeg)('tells x264 open-GOP I pictures (flagged keyframes in FLV) from its IDR', () => {
    const file = path.join(makeTempDir('open-gop'), 'og.flv');
    // prettier-ignore
    execFileSync(ffmpeg!, [
      '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-t', '4',
      '-c:v', 'libx264', '-preset', 'veryfast', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0',
      '-bf', '2', '-x264-params', 'open-gop=1', '-f', 'flv', file,
    ]);
    expect(keyframeVerdicts(packets(file))).toEqual([true, false, false, false]);
  });

  it('takes an HEVC IDR and refuses a CRA (x265 open GOP)', () => {
    expect(keyframeVerdicts(packets(fixture('hevc-main-854x480-aac.flv')))).toEqual([true, false]);
  });

  it('takes AV1 key frames that carry a sequence header', () => {
    for (const name of ['av1-svt-426x240-mp4a.flv', 'av1-aom-640x360-opus.flv']) {
      const verdicts = keyframeVerdicts(packets(fixture(name)));
      expect(verdicts.length, name).toBeGreaterThan(0);
      expect(
        verdicts.every((v) => v === true),
        name,
      ).toBe(true);
    }
  });

  it('cannot tell for a payload that does not parse, and says so', () => {
    expect(isRandomAccess(Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 9, 0x65]))).toBeUndefined();
    expect(isRandomAccess(Buffer.from([0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41]))).toBe(false);
    expect(isRandomAccess(Buffer.from([0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]))).toBe(true);
  });
});

describe('withInbandParameterSets', () => {
  it('puts SPS/PPS after an access unit delimiter, which must stay first', () => {
    const header = packets(fixture('h264-main-426x240-aac48-mono.flv')).find(
      (p) => p.kind === 'video' && p.header,
    )!;
    const aud = Buffer.from([0, 0, 0, 2, 0x09, 0xf0]);
    const idr = Buffer.from([0, 0, 0, 2, 0x65, 0x88]);
    const keyframe = Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0]), aud, idr]);
    const out = withInbandParameterSets(keyframe, header.payload)!;
    const sets = avcParameterSets(header.payload.subarray(5))!;
    const types: number[] = [];
    for (let pos = 5; pos < out.length;) {
      const length = out.readUInt32BE(pos);
      types.push(out.readUInt8(pos + 4) & 0x1f);
      pos += 4 + length;
    }
    expect(types).toEqual([9, ...sets.nalus.map((n) => n.readUInt8(0) & 0x1f), 5]);
    // Without an AUD they lead, as before.
    const plain = withInbandParameterSets(
      Buffer.concat([Buffer.from([0x17, 1, 0, 0, 0]), idr]),
      header.payload,
    )!;
    expect(plain.readUInt8(9) & 0x1f).toBe(7);
  });
});
