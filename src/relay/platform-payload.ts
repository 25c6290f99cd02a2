import { asSetDataFrame } from '../media/metadata.js';
import { defaultTrackOf } from '../media/multitrack.js';
import type { MediaPacket } from '../media/packet.js';

/**
 * The payload a platform is sent for a program packet: metadata as OBS publishes it (`@setDataFrame`
 * `onMetaData`), and, for a platform that takes one track, an E-RTMP multitrack message reduced to its
 * default track. `null`: nothing to send (a multitrack message without the default track).
 */
export function platformPayload(packet: MediaPacket, oneTrack: boolean): Buffer | null {
  if (packet.kind === 'data') return asSetDataFrame(packet.payload);
  if (!oneTrack) return packet.payload;
  const reduced = defaultTrackOf(packet.kind, packet.payload);
  return reduced === undefined ? packet.payload : reduced;
}
