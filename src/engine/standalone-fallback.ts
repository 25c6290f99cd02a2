import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';
import { maskUrlKey } from '../shared/logger.js';
import { systemClock } from '../shared/clock.js';
import { Program } from '../channel/program.js';
import { Switcher } from '../channel/switcher.js';
import { conform } from '../fallback/conform.js';
import { probeMedia } from '../fallback/ffmpeg.js';
import { LoopSource } from '../fallback/loop-source.js';
import { defaultParams, type RenditionParams } from '../fallback/params.js';
import { Output, type OutputOptions } from '../relay/output.js';

/** A running `restream fallback`: stop() ends the broadcast at every URL. */
export interface StandaloneFallback {
  readonly outputs: Output[];
  stop(): void;
}

/**
 * `restream fallback FILE --to URL…`: conforms FILE once (its own size and frame rate, even-sized, H.264
 * High + AAC 48 kHz stereo) and loops it in real time to every URL with the same outputs and
 * supervision as the server, until stopped. For testing a platform setup without OBS.
 */
export async function runStandaloneFallback(
  file: string,
  urls: string[],
  options: {
    logger: Logger;
    output?: Omit<OutputOptions, 'feed' | 'logger' | 'clock'>;
    onProgress?: (percent: number) => void;
  },
): Promise<StandaloneFallback> {
  const probe = await probeMedia(file);
  const params: RenditionParams = {
    ...defaultParams,
    ...(probe.video && {
      width: even(probe.video.width),
      height: even(probe.video.height),
      fps: probe.video.fps > 0 && probe.video.fps <= 60 ? probe.video.fps : defaultParams.fps,
    }),
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'restream-fallback-'));
  const rendition = path.join(dir, 'rendition.flv');
  try {
    await conform(file, rendition, params, {
      probe,
      ...(options.onProgress && { onProgress: options.onProgress }),
    });
    const loop = await LoopSource.open(rendition);
    const program = new Program();
    const switcher = new Switcher(program, systemClock);
    switcher.select('fallback');
    loop.on('packet', (packet) => {
      switcher.push('fallback', packet);
    });
    const outputs = urls.map(
      (url, i) =>
        new Output(
          { id: `to-${i + 1}`, name: maskUrlKey(url), url, enabled: true },
          { ...options.output, feed: program, logger: options.logger },
        ),
    );
    loop.start();
    for (const output of outputs) output.start();
    return {
      outputs,
      stop: () => {
        for (const output of outputs) output.stop(true);
        loop.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function even(n: number): number {
  return Math.max(2, Math.floor(n / 2) * 2);
}
