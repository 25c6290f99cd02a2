import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FallbackLibrary } from '../../../src/fallback/library.js';

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
