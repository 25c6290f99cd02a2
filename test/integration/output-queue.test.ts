/**
 * A 4K stream at the 51 Mbps YouTube allows, sent by an Output to a real platform (nginx-rtmp)
 * whose worker stops reading for a second: the output's queue must ride it out without dropping a GOP.
 */
import { describe, expect, it } from 'vitest';
import { Program } from '../../src/channel/program.js';
import type { MediaPacket } from '../../src/media/packet.js';
import { packetFromTag } from '../../src/media/packet-from-tag.js';
import { Output } from '../../src/relay/output.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { fixtureHeaders } from '../helpers/media-fixtures.js';
import { childPidsSync, signalPid, waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';

const missing = missingPeers('nginx');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The platform stops reading for this long. Loopback's kernel buffers take several megabytes (about
 * half a second of this stream), which on a real path are already full of data in flight: 2 s here
 * is a 1 s hiccup on the Internet. The 4 MiB queue this replaced dropped frames from 1.5 s on.
 */
const hiccupMs = 2000;

describe.skipIf(missing !== '')(`output queue ${missing}`, () => {
  it('rides out a hiccup of a 51 Mbps 60 fps stream without dropping a frame', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
    // The worker is what reads the connection: stopping it is a platform that stops reading.
    const workers = childPidsSync(nginx.process.pid);
    expect(workers.length).toBeGreaterThan(0);
    const program = new Program();
    const { video } = fixtureHeaders('h264-high-1920x1080-aac48-stereo.flv');
    if (!video) throw new Error('fixture without a video header');
    program.write({ ...video, dts: 0 });
    // 51 Mbps at 60 fps: 106 kB frames (an SEI-sized filler NAL unit; the receiver copies, never decodes).
    const frameBytes = Math.round(51_000_000 / 8 / 60);
    let serial = 0;
    const frame = (keyframe: boolean, dts: number): MediaPacket => {
      const nal = Buffer.alloc(frameBytes, 0xff);
      nal.writeUInt32BE(frameBytes - 4, 0);
      nal.writeUInt8(12, 4); // filler data NAL unit
      nal.writeUInt32BE(++serial, 5);
      return packetFromTag(
        'video',
        dts,
        Buffer.concat([Buffer.from([keyframe ? 0x17 : 0x27, 1, 0, 0, 0]), nal]),
      );
    };
    const output = new Output(
      { id: 'yt', name: 'YouTube 4K', url: nginx.url('live', 'yt-4k-key'), enabled: true },
      { feed: program },
    );
    output.start();
    await waitFor(() => output.state === 'live', { what: 'the output live', timeoutMs: 10_000 });
    const start = Date.now();
    let sent = 0;
    let paused = false;
    let resumed = false;
    // 5 s of stream in real time, keyframe every 2 s; the platform stops reading from 1.5 s on.
    for (let i = 0; i < 300; i++) {
      const due = start + (i * 1000) / 60;
      if (due > Date.now()) await sleep(due - Date.now());
      const elapsed = Date.now() - start;
      if (!paused && elapsed >= 1500) {
        for (const pid of workers) signalPid(pid, 'SIGSTOP');
        paused = true;
      }
      if (paused && !resumed && elapsed >= 1500 + hiccupMs) {
        for (const pid of workers) signalPid(pid, 'SIGCONT');
        resumed = true;
      }
      program.write(frame(i % 120 === 0, Math.round((i * 1000) / 60)));
      sent++;
    }
    // Loopback drains what is queued in well under this.
    await sleep(3000);
    const snapshot = output.snapshot();
    expect(snapshot.droppedFrames).toBe(0);
    // Every frame went out to the platform (it read them all once it resumed).
    expect(snapshot.bytes).toBeGreaterThan(sent * frameBytes);
    output.stop(true);
    await nginx.stop();
  });
});
