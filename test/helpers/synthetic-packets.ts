/**
 * Tiny hand-made FLV media packets for unit tests that move packets around without decoding them:
 * enough bytes to look like AVC/AAC tags, and each frame's low dts byte in its payload so that a test
 * can tell frames apart by their bytes.
 */
import type { MediaPacket } from '../../src/media/packet.js';

/** An AVC sequence header (keyframe, AVCPacketType 0) whose configuration is `bytes`. */
export const videoHeader = (bytes = [1, 2, 3]): MediaPacket => ({
  kind: 'video',
  dts: 0,
  payload: Buffer.from([0x17, 0, 0, 0, 0, ...bytes]),
  keyframe: true,
  header: true,
});

/** An AAC sequence header (AudioSpecificConfig: AAC-LC, 48 kHz, stereo). */
export const audioHeader: MediaPacket = {
  kind: 'audio',
  dts: 0,
  payload: Buffer.from([0xaf, 0, 0x11, 0x90]),
  keyframe: false,
  header: true,
};

/** An AVC frame at `dts`, a keyframe or not. */
export const video = (dts: number, keyframe = false): MediaPacket => ({
  kind: 'video',
  dts,
  payload: Buffer.from([keyframe ? 0x17 : 0x27, 1, 0, 0, 0, dts & 0xff]),
  keyframe,
  header: false,
});

/** An AAC frame at `dts`. */
export const audio = (dts: number): MediaPacket => ({
  kind: 'audio',
  dts,
  payload: Buffer.from([0xaf, 1, dts & 0xff]),
  keyframe: false,
  header: false,
});
