import { isAudioSequenceEnd, isAudioSequenceHeader } from './audio-tag.js';
import { isMetadataMessage } from './metadata.js';
import type { MediaKind, MediaPacket } from './packet.js';
import { VIDEO_KEYFRAME, VIDEO_SEQUENCE_END, VIDEO_SEQUENCE_HEADER, videoPacketFlags } from './video-tag.js';

/**
 * Classifies an RTMP/FLV media payload into a MediaPacket (keyframe/header flags). Data messages: header =
 * true when it is @setDataFrame/onMetaData. Never throws: an unparseable video/audio payload yields
 * keyframe=false, header=false. Reads only the tag header; allocates nothing but the packet.
 */
export function packetFromTag(kind: MediaKind, dts: number, payload: Buffer): MediaPacket {
  switch (kind) {
    case 'video': {
      const flags = videoPacketFlags(payload);
      const packet = {
        kind,
        dts,
        payload,
        keyframe: (flags & VIDEO_KEYFRAME) !== 0,
        header: (flags & VIDEO_SEQUENCE_HEADER) !== 0,
      };
      return (flags & VIDEO_SEQUENCE_END) !== 0 ? { ...packet, sequenceEnd: true } : packet;
    }
    case 'audio': {
      const packet = { kind, dts, payload, keyframe: false, header: isAudioSequenceHeader(payload) };
      return isAudioSequenceEnd(payload) ? { ...packet, sequenceEnd: true } : packet;
    }
    case 'data':
      return { kind, dts, payload, keyframe: false, header: isMetadataMessage(payload) };
  }
}
