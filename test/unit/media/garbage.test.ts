/**
 * Hostile input: every parser either answers or throws MediaError, never anything else (a stray RangeError
 * or TypeError in a socket handler would take the process down). packetFromTag and parseMetadata never throw.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAacAudioSpecificConfig } from '../../../src/media/aac.js';
import { audioConfigOf, inspectAudioTag } from '../../../src/media/audio-tag.js';
import { parseAv1CodecConfig } from '../../../src/media/av1.js';
import { parseAvcDecoderConfig } from '../../../src/media/avc.js';
import { MediaError } from '../../../src/media/errors.js';
import { readFlv, type FlvTag } from '../../../src/media/flv-file.js';
import { parseHevcDecoderConfig } from '../../../src/media/hevc.js';
import { parseMetadata } from '../../../src/media/metadata.js';
import { packetFromTag } from '../../../src/media/packet-from-tag.js';
import { inspectVideoTag, videoConfigOf } from '../../../src/media/video-tag.js';

/** mulberry32: a seeded PRNG, so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function onlyMediaErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof MediaError)) throw new Error(`threw ${String(err)}`, { cause: err });
  }
}

const parsers: [string, (payload: Buffer) => unknown][] = [
  ['inspectVideoTag', inspectVideoTag],
  ['inspectAudioTag', inspectAudioTag],
  ['videoConfigOf', videoConfigOf],
  ['audioConfigOf', audioConfigOf],
  ['parseAvcDecoderConfig', parseAvcDecoderConfig],
  ['parseHevcDecoderConfig', parseHevcDecoderConfig],
  ['parseAv1CodecConfig', parseAv1CodecConfig],
  ['parseAacAudioSpecificConfig', parseAacAudioSpecificConfig],
  ['readFlv', readFlv],
];

function exercise(payload: Buffer): void {
  for (const [, parse] of parsers) onlyMediaErrors(() => parse(payload));
  // These must not throw at all: a throw fails the test on its own.
  packetFromTag('audio', 0, payload);
  packetFromTag('video', 0, payload);
  packetFromTag('data', 0, payload);
  parseMetadata(payload);
}

const dir = fileURLToPath(new URL('../../fixtures/media/', import.meta.url));
const headerTags: FlvTag[] = readdirSync(dir)
  .filter((name) => name.endsWith('.flv'))
  .flatMap((name) => readFlv(readFileSync(dir + name)).tags)
  .filter((tag) => tag.kind === 'data' || packetFromTag(tag.kind, 0, tag.payload).header);

describe('garbage in, MediaError out', () => {
  it('random bytes of every length up to 96', () => {
    const next = random(1);
    for (let i = 0; i < 3000; i++) {
      const payload = Buffer.alloc(Math.floor(next() * 97));
      for (let j = 0; j < payload.length; j++) payload[j] = Math.floor(next() * 256);
      // Half the time, make it look like a real header so parsing gets past the first byte.
      if (payload.length > 0 && next() < 0.5) payload[0] = [0x17, 0x1c, 0x90, 0x96, 0x97, 0xaf, 0x9f][i % 7]!;
      exercise(payload);
    }
  });

  it('every real sequence header and metadata tag, cut at every length', () => {
    expect(headerTags.length).toBeGreaterThan(20);
    for (const tag of headerTags) {
      for (let cut = 0; cut < tag.payload.length; cut++) exercise(tag.payload.subarray(0, cut));
    }
  });

  it('every real sequence header and metadata tag, with random bytes flipped', () => {
    const next = random(2);
    for (const tag of headerTags) {
      for (let round = 0; round < 100; round++) {
        const payload = Buffer.from(tag.payload);
        const flips = 1 + Math.floor(next() * 4);
        for (let f = 0; f < flips; f++)
          payload[Math.floor(next() * payload.length)] = Math.floor(next() * 256);
        exercise(payload);
      }
    }
  });
});
