import { asSetDataFrame } from '../media/metadata.js';
import { defaultTrackOf } from '../media/multitrack.js';
import type { MediaPacket } from '../media/packet.js';
import type { PayloadForm } from '../rtmp/index.js';

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

/**
 * The two forms outputs send, each declared once: the wire-bytes cache is keyed by the form, so every
 * output in the same form (and chunk size, stream id) writes the same encoded bytes.
 */
export const platformForms: { readonly oneTrack: PayloadForm; readonly allTracks: PayloadForm } = {
  oneTrack: { payload: (packet) => platformPayload(packet, true) },
  allTracks: { payload: (packet) => platformPayload(packet, false) },
};
