/**
 * The media model shared by ingest, channel, relay and fallback: one FLV tag = one RTMP media message.
 * The payload is the FLV tag body byte for byte, so nothing is re-encoded between OBS and a platform;
 * composition time offsets stay inside the payload, which is why rebasing `dts` leaves them untouched.
 */
export type MediaKind = 'audio' | 'video' | 'data';

/** RTMP message type id (= FLV tag type) of each media kind. */
export const messageTypeOf = { audio: 8, video: 9, data: 18 } as const satisfies Record<MediaKind, number>;

/** One audio frame, video frame or data (metadata) message. */
export interface MediaPacket {
  /** Which track. */
  readonly kind: MediaKind;
  /** Decode timestamp in ms on an unwrapped timeline (not reduced to 32 bits; writers do that). */
  readonly dts: number;
  /** The FLV tag body, which is exactly the RTMP message payload. */
  readonly payload: Buffer;
  /** A video frame a decoder can start from (IDR / key frame). Always false for audio and data. */
  readonly keyframe: boolean;
  /**
   * A codec configuration record (AVC/HEVC/AV1 sequence start, AAC AudioSpecificConfig) or, for data,
   * stream metadata: state a receiver needs before any frame, cached and re-sent on every new connection.
   */
  readonly header: boolean;
  /**
   * An end-of-sequence marker (AVC end of sequence, E-RTMP video or audio SequenceEnd), which an encoder
   * sends as it stops. Set only when true.
   */
  readonly sequenceEnd?: true;
}
