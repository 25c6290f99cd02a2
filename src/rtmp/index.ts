/**
 * The RTMP library's public surface: sessions over any Duplex, and what a writer of media needs from
 * them (encode a packet for a session, write the bytes, hear when the socket drains) plus the keyframe
 * gate every new receiver starts behind. Ingest, relay and the engine import this file only; the wire
 * format's internals (chunk reader/writer, handshake, control messages) stay inside src/rtmp.
 */
export {
  ClientSession,
  publishTargetOf,
  type ClientSessionEvents,
  type PublishTarget,
} from './client-session.js';
export {
  ServerSession,
  type ServerSessionEvents,
  type ServerSessionOptions,
  type StreamDecision,
  type StreamRequest,
} from './server-session.js';
export type { CloseInfo, ConnectionOptions } from './connection.js';
export { RtmpError, type RtmpErrorCode } from './errors.js';
export { encodeMedia, type MediaSink } from './media-wire.js';
export { keyframeStart, type GateHeaders } from './keyframe-gate.js';
