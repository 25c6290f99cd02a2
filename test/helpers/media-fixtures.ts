/** The sequence headers of the real encoder output in `test/fixtures/media/`. */
import { readFileSync } from 'node:fs';
import { readFlv } from '../../src/media/flv-file.js';
import type { MediaPacket } from '../../src/media/packet.js';
import { packetFromTag } from '../../src/media/packet-from-tag.js';

/** The first video and audio sequence headers of a fixture FLV. */
export function fixtureHeaders(name: string): { video?: MediaPacket; audio?: MediaPacket } {
  const file = readFlv(readFileSync(new URL(`../fixtures/media/${name}`, import.meta.url)));
  const out: { video?: MediaPacket; audio?: MediaPacket } = {};
  for (const tag of file.tags) {
    const packet = packetFromTag(tag.kind, tag.timestamp, tag.payload);
    if (packet.header && packet.kind === 'video') out.video ??= packet;
    if (packet.header && packet.kind === 'audio') out.audio ??= packet;
  }
  return out;
}

/** The video sequence header of a fixture FLV; throws when it has none. */
export function fixtureVideoHeader(name: string): MediaPacket {
  const header = fixtureHeaders(name).video;
  if (!header) throw new Error(`no video header in ${name}`);
  return header;
}
