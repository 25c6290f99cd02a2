/**
 * Real encoder output (test/fixtures/media, made by make-fixtures.sh with ffmpeg): what the parsers read
 * must equal what ffprobe reports for the same file. Enhanced-RTMP FLVs are probed through the MP4 they
 * were remuxed from, since ffprobe < 6.1 cannot read them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { audioConfigOf, inspectAudioTag } from '../../src/media/audio-tag.js';
import { flvHeader, flvTag, readFlv } from '../../src/media/flv-file.js';
import { parseMetadata } from '../../src/media/metadata.js';
import { packetFromTag } from '../../src/media/packet-from-tag.js';
import { inspectVideoTag, videoConfigOf, type VideoConfig } from '../../src/media/video-tag.js';

const dir = fileURLToPath(new URL('../fixtures/media/', import.meta.url));
const fixtures = readdirSync(dir)
  .filter((name) => name.endsWith('.flv'))
  .sort();

interface ProbeStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  level?: number;
  sample_rate?: string;
  channels?: number;
}

function probe(file: string): { streams: ProbeStream[]; keyframes: number; videoFrames: number } {
  const out = execFileSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-show_streams',
      '-show_packets',
      '-show_entries',
      'packet=stream_index,flags',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  const parsed = JSON.parse(out) as {
    streams: (ProbeStream & { index: number })[];
    packets: { stream_index: number; flags: string }[];
  };
  const video = parsed.streams.find((s) => s.codec_type === 'video');
  const videoPackets = parsed.packets.filter((p) => p.stream_index === video?.index);
  return {
    streams: parsed.streams,
    keyframes: videoPackets.filter((p) => p.flags.includes('K')).length,
    videoFrames: videoPackets.length,
  };
}

/** VideoConfig.level as ffprobe prints it: AVC level_idc, HEVC general_level_idc, AV1 seq_level_idx. */
function ffprobeLevel(config: VideoConfig): number {
  const [major = 0, minor = 0] = (config.level ?? '').split('.').map(Number);
  if (config.codec === 'hevc') return major * 30 + minor * 3;
  if (config.codec === 'av1') return (major - 2) * 4 + minor;
  return major * 10 + minor;
}

describe.each(fixtures)('%s', (name) => {
  const file = dir + name;
  const bytes = readFileSync(file);
  const source = existsSync(file.replace(/\.flv$/, '.src.mp4')) ? file.replace(/\.flv$/, '.src.mp4') : file;
  const flv = readFlv(bytes);
  const probed = probe(source);
  const probedVideo = probed.streams.find((s) => s.codec_type === 'video');
  const probedAudio = probed.streams.find((s) => s.codec_type === 'audio');

  it('reads whole, and rebuilds byte for byte with flvHeader + flvTag', () => {
    expect(flv.truncated).toBe(false);
    expect(flv.hasVideo).toBe(probedVideo !== undefined);
    expect(flv.hasAudio).toBe(probedAudio !== undefined);
    const rebuilt = Buffer.concat([
      flvHeader(flv.hasAudio, flv.hasVideo),
      ...flv.tags.map((tag) => flvTag(tag)),
    ]);
    expect(rebuilt.equals(bytes)).toBe(true);
  });

  if (probedVideo) {
    it('video config equals ffprobe', () => {
      const header = flv.tags.find((t) => t.kind === 'video' && inspectVideoTag(t.payload).sequenceHeader);
      expect(header).toBeDefined();
      const config = videoConfigOf(header!.payload);
      expect(config.codec).toBe({ h264: 'avc', hevc: 'hevc', av1: 'av1' }[probedVideo.codec_name]);
      expect({ width: config.width, height: config.height }).toEqual({
        width: probedVideo.width,
        height: probedVideo.height,
      });
      expect(config.profile).toBe(probedVideo.profile);
      expect(ffprobeLevel(config)).toBe(probedVideo.level);
      expect(config.codecString).toMatch(/^(avc1|hvc1|av01)\./);
    });

    it('packetFromTag finds the keyframes ffprobe finds, and one header', () => {
      const packets = flv.tags
        .filter((t) => t.kind === 'video')
        .map((t) => packetFromTag('video', t.timestamp, t.payload));
      expect(packets.filter((p) => p.keyframe)).toHaveLength(probed.keyframes);
      expect(packets.filter((p) => p.header)).toHaveLength(1);
      const frames = packets.filter((p) => !p.header && !inspectVideoTag(p.payload).sequenceEnd);
      expect(frames).toHaveLength(probed.videoFrames);
      expect(packets[0]?.header).toBe(true);
    });
  }

  if (probedAudio) {
    it('audio config equals ffprobe', () => {
      const audio = flv.tags.filter((t) => t.kind === 'audio');
      const header = audio.find((t) => inspectAudioTag(t.payload).sequenceHeader) ?? audio[0];
      expect(header).toBeDefined();
      const config = audioConfigOf(header!.payload);
      expect(config.codec).toBe(probedAudio.codec_name);
      expect(config.sampleRate).toBe(Number(probedAudio.sample_rate));
      expect(config.channels).toBe(probedAudio.channels);
      if (config.codec === 'aac') expect(config.profile).toBe(probedAudio.profile);
      const headers = audio.filter((t) => packetFromTag('audio', t.timestamp, t.payload).header);
      expect(headers).toHaveLength(config.codec === 'mp3' ? 0 : 1);
    });
  }

  it('metadata agrees with the streams', () => {
    const data = flv.tags.filter((t) => t.kind === 'data');
    expect(data).toHaveLength(1);
    expect(packetFromTag('data', 0, data[0]!.payload).header).toBe(true);
    const meta = parseMetadata(data[0]!.payload);
    expect(meta).toBeDefined();
    if (probedVideo) {
      expect({ width: meta?.width, height: meta?.height }).toEqual({
        width: probedVideo.width,
        height: probedVideo.height,
      });
      const fourCc = { hevc: 'hvc1', av1: 'av01', h264: name.startsWith('avc1') ? 'avc1' : 7 }[
        probedVideo.codec_name
      ];
      expect(meta?.videocodecid).toBe(fourCc);
    }
    if (probedAudio) expect(meta?.audiosamplerate).toBe(Number(probedAudio.sample_rate));
  });
});

describe('fixture set', () => {
  it('covers every codec this ffmpeg can encode, each file under 50 KB', () => {
    const encoders = execFileSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
    const want = ['h264-', 'mp3-'];
    if (/\blibx265\b/.test(encoders)) want.push('hevc-');
    if (/\blibaom-av1\b/.test(encoders)) want.push('av1-aom-');
    if (/\blibsvtav1\b/.test(encoders)) want.push('av1-svt-');
    for (const prefix of want) expect(fixtures.some((f) => f.startsWith(prefix))).toBe(true);
    for (const f of readdirSync(dir)) expect(readFileSync(dir + f).length).toBeLessThan(50 * 1024);
  });
});
