import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { audioConfigOf } from '../../../src/media/audio-tag.js';
import { flvHeader, flvTag } from '../../../src/media/flv-file.js';
import { aacSequenceHeaderTag, silentAacTag } from '../../../src/media/silent-aac.js';
import { findProgram } from '../../helpers/programs.js';
import { makeTempDir } from '../../helpers/tmp.js';

const ffmpeg = findProgram('ffmpeg');

describe('silent AAC', () => {
  it.each([
    [48000, 2],
    [44100, 1],
    [32000, 6],
    [22050, 8],
  ])('makes an AAC-LC config for %i Hz, %i channels that says what it should', (rate, channels) => {
    expect(audioConfigOf(aacSequenceHeaderTag(rate, channels))).toMatchObject({
      codec: 'aac',
      profile: 'LC',
      sampleRate: rate,
      channels,
    });
  });

  it.skipIf(!ffmpeg).each([
    [48000, 2],
    [44100, 1],
    [48000, 6],
  ])(
    'frames that ffmpeg decodes without a complaint into digital silence (%i Hz, %i ch)',
    (rate, channels) => {
      const file = path.join(makeTempDir('silent-aac'), 'silence.flv');
      const tags = [
        flvHeader(true, false),
        flvTag({ kind: 'audio', timestamp: 0, payload: aacSequenceHeaderTag(rate, channels) }),
      ];
      for (let i = 0; i < 50; i++)
        tags.push(
          flvTag({
            kind: 'audio',
            timestamp: Math.round((i * 1024 * 1000) / rate),
            payload: silentAacTag(channels),
          }),
        );
      writeFileSync(file, Buffer.concat(tags));
      const decode = (level: string) =>
        spawnSync(
          ffmpeg!,
          ['-hide_banner', '-v', level, '-i', file, '-af', 'volumedetect', '-f', 'null', '-'],
          {
            encoding: 'utf8',
          },
        );
      expect(decode('error').stderr.trim()).toBe('');
      const info = decode('info').stderr;
      expect(info).toMatch(/aac \(LC\)/);
      // Digital silence: volumedetect's floor.
      expect(info).toMatch(/max_volume: -91\.0 dB/);
    },
  );
});
