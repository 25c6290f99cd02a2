/**
 * audioConfigOf on frames a real encoder makes (ffmpeg), checked against what ffprobe reads from the same
 * file: AC-3, E-AC-3 and MP3 through their Enhanced RTMP FourCCs. The byte-level cases are unit tests
 * (test/unit/media/audio-tag.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { audioConfigOf } from '../../src/media/audio-tag.js';

const b = (...bytes: number[]): Buffer => Buffer.from(bytes);
const cc = (s: string): Buffer => Buffer.from(s, 'latin1');
const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

describe('audioConfigOf on frames ffmpeg encodes, against ffprobe', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'media-audio-'));
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Encodes 0.1 s of tone to a raw elementary stream and reads its first frame and ffprobe's view. */
  function encode(
    codec: string,
    format: string,
    rate: number,
    layout: string,
  ): { frame: Buffer; rate: number; channels: number } {
    const file = join(tmp, `${codec}-${rate}-${layout}.${format}`);
    execFileSync('ffmpeg', [
      ...[
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=440:sample_rate=${rate}`,
      ],
      ...['-t', '0.1', '-af', `aformat=channel_layouts=${layout}`, '-c:a', codec, '-f', format, file],
    ]);
    const probed = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-f', format, '-show_streams', '-of', 'json', file], {
        encoding: 'utf8',
      }),
    ) as { streams: { sample_rate: string; channels: number }[] };
    const stream = probed.streams[0]!;
    return { frame: readFileSync(file), rate: Number(stream.sample_rate), channels: stream.channels };
  }

  it.each([
    ['ac3', 'ac3', 48000, '5.1', 'ac-3'],
    ['ac3', 'ac3', 44100, 'stereo', 'ac-3'],
    ['ac3', 'ac3', 32000, 'mono', 'ac-3'],
    ['eac3', 'eac3', 48000, '5.1', 'ec-3'],
    ['eac3', 'eac3', 44100, 'stereo', 'ec-3'],
    ['libmp3lame', 'mp3', 48000, 'stereo', '.mp3'],
    ['libmp3lame', 'mp3', 24000, 'mono', '.mp3'],
  ])('%s %s %i %s', (codec, format, rate, layout, fourCc) => {
    const encoded = encode(codec, format, rate, layout);
    let frame = encoded.frame;
    if (format === 'mp3' && frame.toString('latin1', 0, 3) === 'ID3')
      frame = frame.subarray(10 + id3Size(frame));
    const config = audioConfigOf(cat(b(0x91), cc(fourCc), frame));
    expect({ sampleRate: config.sampleRate, channels: config.channels }).toEqual({
      sampleRate: encoded.rate,
      channels: encoded.channels,
    });
  });
});

/** ID3v2 tag size: four 7-bit bytes at offset 6. */
function id3Size(buf: Buffer): number {
  return (
    ((buf.readUInt8(6) & 0x7f) << 21) |
    ((buf.readUInt8(7) & 0x7f) << 14) |
    ((buf.readUInt8(8) & 0x7f) << 7) |
    (buf.readUInt8(9) & 0x7f)
  );
}
