/**
 * The conform keeps what a player's decoder set-up depends on (issue 11.7): the live stream's level and
 * colour description, in its own codec. Checked on the rendition's own sequence header, and for H.264
 * by ffprobe as well.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { conform } from '../../src/fallback/conform.js';
import { LoopSource } from '../../src/fallback/loop-source.js';
import { defaultParams, type RenditionParams } from '../../src/fallback/params.js';
import { videoConfigOf } from '../../src/media/video-tag.js';
import { peersSkipReason } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const missing = peersSkipReason('ffmpeg', 'ffprobe');
let clip = '';

describe.skipIf(missing !== '')(`conform keeps level and colour ${missing}`, () => {
  beforeAll(async () => {
    clip = join(makeTempDir('keeps', 'process'), 'clip.mp4');
    // prettier-ignore
    await run('ffmpeg', [
      '-hide_banner', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip,
    ]);
  });

  const bt709 = { primaries: 1, transfer: 1, matrix: 1, fullRange: false };
  const smpte170m = { primaries: 6, transfer: 6, matrix: 6, fullRange: true };
  it.each([
    { codec: 'h264', profile: 'main', level: '4.1', colour: bt709 },
    { codec: 'h264', profile: 'high', level: '3.0', colour: smpte170m },
    { codec: 'hevc', profile: 'main', level: '4.1', colour: bt709 },
    { codec: 'av1', profile: 'main', colour: bt709 },
  ] as const)('$codec $profile level $level, colour $colour.primaries', async (wanted) => {
    const out = join(makeTempDir('keeps'), 'rendition.flv');
    const params: RenditionParams = { ...defaultParams, width: 320, height: 180, fps: 25, ...wanted };
    await conform(clip, out, params);
    const loop = await LoopSource.open(out);
    const config = videoConfigOf(loop.headers.video!.payload);
    loop.close();
    expect(config.codec).toBe(wanted.codec === 'h264' ? 'avc' : wanted.codec);
    // AV1's level follows from size and rate (SVT-AV1 takes none); H.264 and HEVC keep the live one.
    if ('level' in wanted) expect(config.level).toBe(wanted.level);
    expect(config.colour).toEqual(wanted.colour);
    if (wanted.codec === 'h264') {
      const { stdout } = await run('ffprobe', [
        '-v', 'error', '-select_streams', 'v:0', '-show_entries',
        'stream=level,color_primaries,color_transfer,color_space,color_range', '-of', 'json', out,
      ]); // prettier-ignore
      const [stream] = (JSON.parse(stdout) as { streams: Record<string, unknown>[] }).streams;
      expect(stream).toMatchObject({ level: Math.round(Number(wanted.level) * 10) });
      expect(stream?.color_range).toBe(wanted.colour.fullRange ? 'pc' : 'tv');
      expect(stream?.color_primaries).toBe(wanted.colour.primaries === 1 ? 'bt709' : 'smpte170m');
    }
  });
});
