/**
 * Fuzz targets over the captured sessions. One case = one seed: pick an input from the corpus, mutate it,
 * run it through a parser, and check the invariants every parser of peer bytes must keep:
 *   - the only thing thrown is the module's RestreamError (RtmpError / Amf0Error), never a RangeError,
 *     TypeError or stack overflow (a throw of anything else would escape a session's error handling),
 *     and not one with a `cause`: that is the parsers' safety net catching a check they missed;
 *   - no message is larger than the reader's cap (no unbounded allocation);
 *   - AMF0 that decodes re-encodes stably: encode(decode(encode(decode(x)))) == encode(decode(x)).
 */
import { Amf0Error, decodeAmf0, decodeAmf0Prefix, encodeAmf0 } from '../../src/media/amf0.js';
import { ChunkReader } from '../../src/rtmp/chunk-reader.js';
import { MessageType, parseUserControl, splitAggregate } from '../../src/rtmp/control.js';
import { RtmpError } from '../../src/rtmp/errors.js';
import { ServerHandshake } from '../../src/rtmp/handshake.js';
import { RestreamError } from '../../src/shared/errors.js';
import { c2sChunks, publishC2s, s2cChunks } from '../fixtures/rtmp/fixtures.js';
import { below, mutate, prng, randomPieces, type Random } from './mutate.js';

/**
 * Reader caps in fuzz runs. The capture's biggest messages are keyframes of ~5 KB, so the small caps
 * make real messages exceed them (the cap must fire), the big one lets whole sessions through.
 */
export const FUZZ_MAX_MESSAGE_BYTES = [1024, 4096, 256 * 1024] as const;

export type FuzzTarget = 'chunks' | 'amf0' | 'handshake';

/** A broken invariant, with what is needed to reproduce it. */
export interface FuzzFailure {
  seed: number;
  target: FuzzTarget;
  reason: string;
  error?: unknown;
}

/** AMF payloads (commands and metadata) of the capture, both directions. */
const amfCorpus: Buffer[] = (() => {
  const out: Buffer[] = [];
  for (const stream of [c2sChunks, s2cChunks]) {
    for (const m of new ChunkReader().push(stream)) {
      if (m.typeId === MessageType.commandAmf0 || m.typeId === MessageType.dataAmf0) out.push(m.payload);
    }
  }
  return out;
})();

function pickStream(random: Random): Buffer {
  const r = random();
  if (r < 0.15) return s2cChunks;
  if (r < 0.25) return c2sChunks; // the whole session now and then: slower, reaches the end states
  return c2sChunks.subarray(0, 1 + below(random, 24_000));
}

class Invariant extends Error {}

function checkChunks(input: Buffer, random: Random): void {
  const cap = FUZZ_MAX_MESSAGE_BYTES[below(random, FUZZ_MAX_MESSAGE_BYTES.length)] ?? 0;
  const reader = new ChunkReader({ maxMessageBytes: cap });
  for (const piece of randomPieces(input, random)) {
    for (const m of reader.push(piece)) {
      if (m.payload.length > cap) throw new Invariant(`message of ${m.payload.length} bytes, cap ${cap}`);
      // What a session does next with the message must fail only as RestreamError too.
      try {
        if (m.typeId === MessageType.commandAmf0 || m.typeId === MessageType.dataAmf0) decodeAmf0(m.payload);
        if (m.typeId === MessageType.aggregate) splitAggregate(m);
        if (m.typeId === MessageType.userControl) parseUserControl(m.payload);
      } catch (err) {
        if (!((err instanceof Amf0Error || err instanceof RtmpError) && err.cause === undefined)) throw err;
      }
    }
  }
}

function checkAmf0(input: Buffer): void {
  decodeAmf0Prefix(input, 3);
  let values;
  try {
    values = decodeAmf0(input);
  } catch (err) {
    if (err instanceof Amf0Error && err.cause === undefined) return;
    throw err;
  }
  let once;
  try {
    once = encodeAmf0(...values);
  } catch (err) {
    // A key decoded from invalid UTF-8 can grow past 65535 bytes; refusing to encode it is fine.
    if (err instanceof Amf0Error && err.message.includes('key longer')) return;
    throw err;
  }
  // Compared as bytes: values can hold NaN and invalid Dates, which no deep-equality calls equal.
  if (!encodeAmf0(...decodeAmf0(once)).equals(once)) throw new Invariant('AMF0 re-encoding is not stable');
}

function checkHandshake(input: Buffer, random: Random): void {
  const server = new ServerHandshake();
  for (const piece of randomPieces(input, random, 2000)) {
    const step = server.push(piece);
    if (step.done) return;
  }
}

/** Runs one seeded case; returns the broken invariant, if any. */
export function fuzzCase(seed: number): FuzzFailure | undefined {
  const random = prng(seed);
  const r = random();
  const target: FuzzTarget = r < 0.6 ? 'chunks' : r < 0.9 ? 'amf0' : 'handshake';
  try {
    if (target === 'chunks') {
      checkChunks(mutate(pickStream(random), random), random);
    } else if (target === 'amf0') {
      const payload = amfCorpus[below(random, amfCorpus.length)] ?? Buffer.alloc(0);
      checkAmf0(mutate(payload, random));
    } else {
      checkHandshake(mutate(publishC2s.subarray(0, 3073 + 64), random), random);
    }
  } catch (error) {
    if (error instanceof Invariant) return { seed, target, reason: error.message };
    const expected = target === 'amf0' ? error instanceof Amf0Error : error instanceof RtmpError;
    if (!expected || !(error instanceof RestreamError)) {
      return { seed, target, reason: 'threw something other than its RestreamError', error };
    }
    if (error.cause !== undefined)
      return { seed, target, reason: 'a parser check was missed', error: error.cause };
  }
  return undefined;
}
