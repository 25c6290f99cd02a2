/**
 * What a platform got, judged as a viewer would: the test stream's picture and sound, one timeline that
 * never goes back, no hole longer than the scenario allows, and nothing a decoder complains about.
 */
import { expect } from 'vitest';
import {
  checkTimeline,
  decodeErrors,
  frameSizes,
  largestGap,
  probePackets,
  probeStreams,
  type ProbedPackets,
  type Timeline,
} from './ffprobe.js';

/**
 * Checks a recording of the 640x360 H.264 + 48 kHz stereo AAC test stream (publishTestStream's
 * defaults): those streams, one frame size throughout, monotonic DTS in both tracks, no gap of
 * `maxGapMs` or more in either, and a clean decode. `moreChecks` runs between the timeline and the gap
 * checks, on what was probed. Assertion messages name the file.
 */
export async function expectTestStreamIntact(
  file: string,
  maxGapMs: number,
  moreChecks?: (probed: { packets: ProbedPackets; video: Timeline; audio: Timeline }) => void,
): Promise<void> {
  const streams = await probeStreams(file);
  expect(streams.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
  expect(streams.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
  expect(await frameSizes(file)).toEqual(['640x360']);
  const packets = await probePackets(file);
  const video = checkTimeline(packets.video);
  const audio = checkTimeline(packets.audio);
  expect(video.monotonic, `${file}: video DTS back at ${video.backwardsAt}`).toBe(true);
  expect(audio.monotonic, `${file}: audio DTS back at ${audio.backwardsAt}`).toBe(true);
  moreChecks?.({ packets, video, audio });
  const videoGap = largestGap(packets.video);
  const audioGap = largestGap(packets.audio);
  expect(videoGap.gapMs, `${file}: video gap at ${videoGap.atMs} ms`).toBeLessThan(maxGapMs);
  expect(audioGap.gapMs, `${file}: audio gap at ${audioGap.atMs} ms`).toBeLessThan(maxGapMs);
  expect(await decodeErrors(file), file).toBe('');
}
