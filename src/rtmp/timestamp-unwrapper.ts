import { packetFromTag } from '../media/packet-from-tag.js';
import type { MediaKind, MediaPacket } from '../media/packet.js';
import type { RtmpMessage } from './chunk-reader.js';
import { MessageType } from './control.js';

const wrap = 2 ** 32;

/**
 * Turns 32-bit RTMP timestamps into an unwrapped millisecond timeline: past 2^32 ms (49.7 days, or much
 * sooner when an encoder starts with a large offset) it keeps counting instead of jumping back to 0. A
 * small step backwards stays a step backwards; only a jump of more than 2^31 is taken for a wrap.
 */
export class TimestampUnwrapper {
  #last: number | undefined;

  unwrap(timestamp32: number): number {
    if (this.#last === undefined) {
      this.#last = timestamp32;
      return timestamp32;
    }
    const forward = (((timestamp32 - this.#last) % wrap) + wrap) % wrap;
    this.#last = forward < wrap / 2 ? this.#last + forward : this.#last - (wrap - forward);
    return this.#last;
  }
}

/**
 * Media messages of one session as MediaPackets: one unwrapper per message type (audio, video and data
 * timestamps need not move together), and a packet only for media messages with a payload.
 */
export class MediaMessageReader {
  readonly #unwrappers = new Map<number, TimestampUnwrapper>();

  packetOf(message: RtmpMessage): MediaPacket | undefined {
    const kind = kindOfMessage(message.typeId);
    if (kind === undefined || message.payload.length === 0) return undefined;
    let unwrapper = this.#unwrappers.get(message.typeId);
    if (!unwrapper) {
      unwrapper = new TimestampUnwrapper();
      this.#unwrappers.set(message.typeId, unwrapper);
    }
    return packetFromTag(kind, unwrapper.unwrap(message.timestamp), message.payload);
  }
}

const kindOf: Partial<Record<number, MediaKind>> = {
  [MessageType.audio]: 'audio',
  [MessageType.video]: 'video',
  [MessageType.dataAmf0]: 'data',
};

/** The media kind of an RTMP message type, if it is a media message. */
export function kindOfMessage(typeId: number): MediaKind | undefined {
  return kindOf[typeId];
}
