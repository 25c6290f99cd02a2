/**
 * Silent AAC from the fallback library, for a video-only live stream's missing audio track (issue 11.4):
 * in the asked format, AAC-LC, and ffmpeg decodes a run of its frames to digital silence.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { FallbackLibrary } from '../../src/fallback/library.js';
import { audioConfigOf } from '../../src/media/audio-tag.js';
import { flvHeader, flvTag } from '../../src/media/flv-file.js';
import { peersSkipReason } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const missing = peersSkipReason('ffmpeg', 'ffprobe');

describe.skipIf(missing !== '')(`silent audio for video-only live ${missing}`, () => {
  it.each([
    { sampleRate: 44100, channels: 1 },
    { sampleRate: 48000, channels: 2 },
  ])(
    'gives AAC-LC silence at $sampleRate Hz, $channels channel(s), that decodes to silence',
    async (audio) => {
      const dir = makeTempDir('silence');
      const library = new FallbackLibrary({ dataDir: dir });
      const silence = await library.silentAudio(audio);
      expect(audioConfigOf(silence.header)).toMatchObject({ codec: 'aac', profile: 'LC', ...audio });
      expect(silence.frameDurationMs).toBeCloseTo((1024 * 1000) / audio.sampleRate, 6);
      // Two seconds of it, as the engine would send it, through ffmpeg's decoder.
      const file = join(dir, 'silence.flv');
      const tags = [flvTag({ kind: 'audio', timestamp: 0, payload: silence.header })];
      for (let n = 0; n * silence.frameDurationMs < 2000; n++) {
        tags.push(
          flvTag({
            kind: 'audio',
            timestamp: Math.round(n * silence.frameDurationMs),
            payload: silence.frame,
          }),
        );
      }
      writeFileSync(file, Buffer.concat([flvHeader(true, false), ...tags]));
      const { stderr } = await run('ffmpeg', [
        '-hide_banner',
        '-nostdin',
        '-i',
        file,
        '-af',
        'volumedetect',
        '-f',
        'null',
        '-',
      ]);
      expect(stderr).not.toMatch(/error/i);
      expect(stderr).toMatch(/n_samples: [1-9]/);
      expect(stderr).toMatch(/max_volume: -(9[0-9]|inf)/);
      // Cached: the second ask renders nothing new and returns the same bytes.
      expect((await library.silentAudio(audio)).frame.equals(silence.frame)).toBe(true);
      library.close();
    },
  );
});
