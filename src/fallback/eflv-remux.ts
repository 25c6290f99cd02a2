/**
 * MP4 → Enhanced RTMP FLV (veovera enhanced-rtmp v2), for HEVC and AV1 renditions: Debian's ffmpeg 5.1
 * cannot write either into FLV (that came with 6.1), so ffmpeg writes an MP4 and this lays its samples
 * out as FLV tags. Sample bytes need no rewriting: MP4's hvcC samples are length-prefixed NAL units and
 * its AV1 samples are low-overhead OBUs, exactly what E-RTMP CodedFrames carry.
 *
 * Video tag (E-RTMP): IsExHeader:1 (=1) FrameType:3 PacketType:4 | FourCC:32 | [SI24 composition time
 *                     when PacketType = 1 and the codec has one (hvc1)] | data
 * Audio tag (legacy AAC): 1010 11 1 1 (0xAF) | AACPacketType (0 = AudioSpecificConfig, 1 = raw frame) | data
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { flvHeader, flvTag, type FlvTag } from '../media/flv-file.js';
import { FallbackError } from './errors.js';
import { runProgram, type FfmpegPrograms } from './child-process.js';

/** E-RTMP FourCC of each codec this remuxes. */
const FOURCC = { hevc: 'hvc1', av1: 'av01' } as const;
const PACKET_SEQUENCE_START = 0;
const PACKET_CODED_FRAMES = 1;
const PACKET_CODED_FRAMES_X = 3;
const FRAME_KEY = 1;
const FRAME_INTER = 2;
const PROBE_TIMEOUT_MS = 5 * 60_000;

interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  extradata?: string;
}

interface ProbePacket {
  stream_index: number;
  pts_time?: string;
  dts_time?: string;
  size: string;
  pos: string;
  flags: string;
}

/** Rewrites `mp4` (one HEVC or AV1 video track, one AAC track) as an E-FLV at `flv`. */
export async function remuxMp4ToEflv(
  mp4: string,
  flv: string,
  programs: FfmpegPrograms,
  signal?: AbortSignal,
): Promise<void> {
  const probe = async (args: string[]): Promise<unknown> => {
    const result = await runProgram(programs.ffprobe, ['-v', 'error', ...args, '-of', 'json', mp4], {
      timeoutMs: PROBE_TIMEOUT_MS,
      ...(signal && { signal }),
    });
    if (result.code !== 0) throw new FallbackError('CONFORM_FAILED', `ffprobe: ${result.stderrTail.trim()}`);
    return JSON.parse(result.stdout) as unknown;
  };
  const { streams } = (await probe(['-show_streams', '-show_data'])) as { streams: ProbeStream[] };
  const { packets } = (await probe([
    '-show_entries',
    'packet=stream_index,pts_time,dts_time,size,pos,flags',
  ])) as { packets: ProbePacket[] };
  const video = streams.find((s) => s.codec_type === 'video');
  const audio = streams.find((s) => s.codec_type === 'audio');
  const codec = video?.codec_name;
  if (video === undefined || (codec !== 'hevc' && codec !== 'av1') || audio?.codec_name !== 'aac') {
    throw new FallbackError('CONFORM_FAILED', `cannot remux ${codec ?? 'no video'} to E-FLV`);
  }
  const fourCc = Buffer.from(FOURCC[codec], 'latin1');
  const msOf = (t: string | undefined): number => Math.round(Number(t ?? '0') * 1000);
  const dtsOf = (p: ProbePacket): number => msOf(p.dts_time ?? p.pts_time);
  const firstDts = packets.reduce((m, p) => Math.min(m, dtsOf(p)), Infinity);
  // Stable sort: each track keeps its order on equal timestamps.
  const ordered = packets
    .filter((p) => p.stream_index === video.index || p.stream_index === audio.index)
    .map((p, order) => ({ p, dts: dtsOf(p) - firstDts, order }))
    .sort((a, b) => a.dts - b.dts || a.order - b.order);

  const input = await open(mp4, 'r');
  const out = createWriteStream(flv);
  const write = async (chunk: Buffer): Promise<void> => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  try {
    await write(flvHeader(true, true));
    const videoHead = Buffer.concat([Buffer.from([0x80 | (FRAME_KEY << 4) | PACKET_SEQUENCE_START]), fourCc]);
    await write(flvTag({ kind: 'video', timestamp: 0, payload: Buffer.concat([videoHead, hexdump(video)]) }));
    const audioHead = Buffer.from([0xaf, 0]);
    await write(flvTag({ kind: 'audio', timestamp: 0, payload: Buffer.concat([audioHead, hexdump(audio)]) }));
    for (const { p, dts } of ordered) {
      signal?.throwIfAborted();
      const data = Buffer.alloc(Number(p.size));
      await input.read(data, 0, data.length, Number(p.pos));
      let tag: FlvTag;
      if (p.stream_index === video.index) {
        const cts = codec === 'hevc' ? msOf(p.pts_time) - msOf(p.dts_time) : 0;
        const packetType = cts !== 0 ? PACKET_CODED_FRAMES : PACKET_CODED_FRAMES_X;
        const frameType = p.flags.includes('K') ? FRAME_KEY : FRAME_INTER;
        const head = Buffer.alloc(packetType === PACKET_CODED_FRAMES ? 8 : 5);
        head.writeUInt8(0x80 | (frameType << 4) | packetType, 0);
        fourCc.copy(head, 1);
        if (packetType === PACKET_CODED_FRAMES) head.writeIntBE(cts, 5, 3);
        tag = { kind: 'video', timestamp: dts, payload: Buffer.concat([head, data]) };
      } else {
        tag = { kind: 'audio', timestamp: dts, payload: Buffer.concat([Buffer.from([0xaf, 1]), data]) };
      }
      await write(flvTag(tag));
    }
    out.end();
    await once(out, 'finish');
  } catch (err) {
    out.destroy();
    throw err;
  } finally {
    await input.close();
  }
}

/** ffprobe's extradata hexdump ("00000000: 8101 0c00 ...  ascii") back to bytes. */
function hexdump(stream: ProbeStream): Buffer {
  const hex = (stream.extradata ?? '')
    .split('\n')
    .map((line) => line.slice(10, 50).replace(/\s/g, ''))
    .join('');
  if (hex === '')
    throw new FallbackError('CONFORM_FAILED', `the ${stream.codec_name ?? ''} track has no config`);
  return Buffer.from(hex, 'hex');
}
