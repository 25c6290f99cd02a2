import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FallbackLibrary } from '../../../src/fallback/library.js';
import { defaultParams, renditionKey } from '../../../src/fallback/params.js';

describe('the clip layout', () => {
  it('keeps an upload stored the old way (original.<ext> + original.json) through an upgrade', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'clip-store-'));
    const channel = join(dataDir, 'fallback', 'channels', 'main');
    mkdirSync(join(channel, 'renditions'), { recursive: true });
    const clip = Buffer.from('the bytes of brb.mp4');
    writeFileSync(join(channel, 'original.mp4'), clip);
    writeFileSync(join(channel, 'renditions', 'h264-high-1280x720-30fps-48000hz-2ch.flv'), 'flv');
    const probe = { durationSec: 5, video: { codec: 'h264', width: 640, height: 360, fps: 25 } };
    const meta = {
      file: 'original.mp4',
      name: 'brb.mp4',
      sizeBytes: clip.length,
      uploadedAt: '2026-01-01T00:00:00.000Z',
      probe,
    };
    writeFileSync(join(channel, 'original.json'), JSON.stringify(meta));

    const library = new FallbackLibrary({ dataDir });
    expect(library.info('main')).toEqual({
      original: { name: 'brb.mp4', sizeBytes: clip.length, uploadedAt: '2026-01-01T00:00:00.000Z' },
      renditions: [{ key: 'h264-high-1280x720-30fps-48000hz-2ch', sizeBytes: 3 }],
    });
    expect(readFileSync(library.originalFile('main')!.path)).toEqual(clip);
    expect(readdirSync(channel).sort()).toEqual(['clips', 'current.json']);
    library.close();
  });

  it('drops a clip a crash left pending, and keeps the current one', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'clip-store-'));
    const clips = join(dataDir, 'fallback', 'channels', 'main', 'clips');
    for (const id of ['abc-0000aaaa', 'abd-0000bbbb']) {
      mkdirSync(join(clips, id), { recursive: true });
      writeFileSync(join(clips, id, 'source'), id);
      writeFileSync(
        join(clips, id, 'clip.json'),
        JSON.stringify({ name: `${id}.mp4`, sizeBytes: 12, uploadedAt: 'x', probe: {} }),
      );
    }
    writeFileSync(
      join(dataDir, 'fallback', 'channels', 'main', 'current.json'),
      JSON.stringify({ clip: 'abc-0000aaaa' }),
    );
    const library = new FallbackLibrary({ dataDir });
    expect(readdirSync(clips)).toEqual(['abc-0000aaaa']);
    expect(library.info('main').original?.name).toBe('abc-0000aaaa.mp4');
    library.close();
  });
});

describe('FallbackLibrary.current', () => {
  it('plays the exact slate, else the nearest safe one (same codec, size, audio), never another size', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'clip-store-'));
    const library = new FallbackLibrary({ dataDir });
    const slates = join(dataDir, 'fallback', 'slates');
    const live = { ...defaultParams, width: 960, height: 540, fps: 25, sampleRate: 44100 };
    writeFileSync(join(slates, `${renditionKey(defaultParams)}.flv`), 'default');
    expect(library.current('main', live)).toBeUndefined(); // 720p 48 kHz is not a stand-in for 540p 44.1 kHz
    const sameButFps = { ...live, fps: 30 };
    writeFileSync(join(slates, `${renditionKey(sameButFps)}.flv`), 'near');
    expect(library.current('main', live)).toEqual({
      file: join(slates, `${renditionKey(sameButFps)}.flv`),
      kind: 'slate',
    });
    writeFileSync(join(slates, `${renditionKey(live)}.flv`), 'exact');
    expect(library.current('main', live)).toEqual({
      file: join(slates, `${renditionKey(live)}.flv`),
      kind: 'slate',
    });
    expect(library.current('main', { ...live, codec: 'hevc' })).toBeUndefined();
    library.close();
  });
});
