import type { MediaPacket } from '../media/packet.js';

/** The state a receiver needs before its first frame (a channel's current headers). */
export interface GateHeaders {
  metadata?: MediaPacket | undefined;
  video?: MediaPacket | undefined;
  audio?: MediaPacket | undefined;
}

/**
 * The keyframe gate of every new receiver (an output's (re)connect or catch-up, an RTMP viewer):
 * it starts at a video keyframe, after the current metadata and sequence headers, so it never decodes
 * a frame without its configuration (docs/architecture.md rule 2). A header that changed while frames
 * were skipped (a switch to the fallback, say) is among them.
 *
 * Returns undefined when `packet` cannot open the gate (wait for the next), else the headers to send
 * before it, restamped at its dts (the current ones may be older than the keyframe).
 */
export function keyframeStart(packet: MediaPacket, headers: GateHeaders): MediaPacket[] | undefined {
  if (packet.kind !== 'video' || !packet.keyframe || packet.header) return undefined;
  const start: MediaPacket[] = [];
  for (const header of [headers.metadata, headers.video, headers.audio]) {
    if (header) start.push({ ...header, dts: packet.dts });
  }
  return start;
}
