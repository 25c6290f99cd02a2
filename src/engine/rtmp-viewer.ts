import type { Program, ProgramPacket } from '../channel/program.js';
import type { Player } from '../ingest/ingest-server.js';
import { keyframeStart } from '../rtmp/index.js';

/**
 * Lets an RTMP viewer (ffplay, VLC, a test) watch a channel's program: from the latest keyframe with
 * the current headers (the keyframe gate outputs use), and a viewer that cannot keep up skips to the
 * next keyframe instead of buffering without bound.
 */
export function attachRtmpViewer(program: Program, player: Player): void {
  let gateOpen = false;
  const reader = {
    onPacket: ({ packet }: ProgramPacket): void => {
      if (!gateOpen) {
        const headers = keyframeStart(packet, program.headers());
        if (!headers) return;
        for (const header of headers) player.send(header);
        gateOpen = true;
      }
      if (player.congested && !packet.header) {
        gateOpen = false;
        return;
      }
      player.send(packet);
    },
  };
  for (const packet of program.recentGop()) reader.onPacket(packet);
  player.onClose(program.subscribe(reader));
}
