import type { Program, ProgramPacket } from '../channel/program.js';
import type { Player } from '../ingest/ingest-server.js';

/**
 * Lets a player (ffplay, VLC, a test) watch a channel's program: from the latest keyframe with the
 * current headers, and a player that cannot keep up skips to the next keyframe instead of buffering
 * without bound.
 */
export function attachPlayer(program: Program, player: Player): void {
  let gateOpen = false;
  const reader = {
    onPacket: ({ packet }: ProgramPacket): void => {
      if (!gateOpen) {
        if (packet.kind !== 'video' || !packet.keyframe || packet.header) return;
        const headers = program.headers();
        for (const header of [headers.metadata, headers.video, headers.audio]) {
          if (header) player.send({ ...header, dts: packet.dts });
        }
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
