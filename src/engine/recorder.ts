import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgramViewerEnd, SourceName } from '../contract/index.js';
import type { ByteSink } from '../shared/byte-sink.js';
import { TypedEmitter } from '../shared/events.js';
import type { Logger } from '../shared/logger.js';
import type { Recording, Store } from '../store/index.js';

/** What the recorder needs from the engine. */
export interface RecorderEngine {
  on(event: 'switched', listener: (channelId: string) => void): unknown;
  off(event: 'switched', listener: (channelId: string) => void): unknown;
  channelStatus(channelId: string): { onAir: boolean; source: SourceName | null } | undefined;
  watchProgram(
    channelId: string,
    sink: ByteSink,
    onEnd?: (why: ProgramViewerEnd) => void,
    role?: 'recording',
  ): (() => void) | undefined;
}

/** Options of the recorder. */
export interface RecorderOptions {
  /** Where recordings are written (DATA_DIR/recordings). */
  dir: string;
  store: Pick<Store, 'channels' | 'recordings'>;
  engine: RecorderEngine;
  logger: Logger;
  /** Recordings kept in all; past it the oldest finished ones are deleted. */
  maxBytes: number;
  /** Free disk below which recording pauses rather than fill the disk. */
  minFreeBytes: number;
  /** The ffmpeg binary (default `ffmpeg` on PATH). */
  ffmpeg?: string;
  /** How often the settings, the air and the disk are checked (default 2000 ms). */
  checkIntervalMs?: number;
  /** Free bytes on the recordings' disk (tests inject a fake). */
  freeBytes?: (dir: string) => Promise<number>;
}

/** Events of the recorder. */
export interface RecorderEvents {
  /** Recording paused (the disk is below its floor) or cannot start; in words. */
  warning: [channelId: string, message: string];
}

interface Active {
  readonly recording: Recording;
  readonly ffmpeg: ChildProcess;
  readonly startedMs: number;
  /** Stops the current program viewer (undefined while paused or ending). */
  detach: (() => void) | undefined;
  /** The file's FLV header went to ffmpeg (a viewer attached after a pause must not send another). */
  headerSent: boolean;
  paused: boolean;
  stderr: string;
}

/**
 * Records broadcasts. A channel with `recording` on gets one file per broadcast, on air to off air,
 * across drops and the fallback (it records the program, as the platforms get it). The program goes
 * as FLV into `ffmpeg -c copy` writing fragmented MP4 (a fragment per keyframe, the index up front), so
 * a kill -9 leaves a file that plays up to its last fragment. Below the free-disk floor it pauses with
 * a warning; past RECORDINGS_MAX_GB the oldest finished recordings are deleted.
 */
export class Recorder extends TypedEmitter<RecorderEvents> {
  readonly #options: RecorderOptions;
  readonly #log: Logger;
  readonly #active = new Map<string, Active>();
  readonly #warned = new Set<string>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;
  #checking = false;

  constructor(options: RecorderOptions) {
    super();
    this.#options = options;
    this.#log = options.logger.child({ component: 'recorder' });
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.#recoverInterrupted();
    options.engine.on('switched', this.#onSwitched);
    this.#timer = setInterval(() => void this.check(), options.checkIntervalMs ?? 2000);
    this.#timer.unref();
  }

  /** Every recording, newest first, with the sizes and durations of those being written now. */
  list(channelId?: string): Recording[] {
    return this.#options.store.recordings.list(channelId).map((recording) => {
      const active = this.#active.get(recording.channelId);
      if (active?.recording.id !== recording.id) return recording;
      return {
        ...recording,
        state: active.paused ? 'paused' : 'recording',
        bytes: this.#sizeOf(recording.file),
        durationMs: Date.now() - active.startedMs,
      };
    });
  }

  /** The file of a recording: where it is, its name and size so far (undefined for an unknown id). */
  file(id: string): { path: string; name: string; sizeBytes: number } | undefined {
    const recording = this.list().find((r) => r.id === id);
    return (
      recording && {
        path: join(this.#options.dir, recording.file),
        name: recording.file,
        sizeBytes: recording.bytes,
      }
    );
  }

  /** Deletes a finished recording and its file; `active` (nothing done) while it is being written. */
  remove(id: string): 'removed' | 'unknown' | 'active' {
    const recording = this.#options.store.recordings.find(id);
    if (!recording) return 'unknown';
    if (this.#active.get(recording.channelId)?.recording.id === id) return 'active';
    rmSync(join(this.#options.dir, recording.file), { force: true });
    this.#options.store.recordings.remove(id);
    return 'removed';
  }

  /** Brings every channel in line with its setting, the air and the disk (the timer calls it). */
  async check(): Promise<void> {
    if (this.#checking || this.#closed) return;
    this.#checking = true;
    try {
      const free = await (this.#options.freeBytes ?? freeBytesOf)(this.#options.dir).catch(() => Infinity);
      const diskOk = free >= this.#options.minFreeBytes;
      for (const channel of this.#options.store.channels.list()) {
        // A broadcast is recorded once a source has the air: a publisher still to send its first frame
        // has given nothing to record.
        const status = this.#options.engine.channelStatus(channel.id);
        const onAir = status?.onAir === true && status.source !== null;
        const active = this.#active.get(channel.id);
        if (!active) {
          if (!channel.recording || !onAir) continue;
          if (diskOk) this.#start(channel.id);
          else this.#warn(channel.id, `not recording: less than ${gb(this.#options.minFreeBytes)} free`);
          continue;
        }
        if (!onAir || !channel.recording) {
          // Off air the viewer has ended the file already, unless it was paused (no viewer to end it).
          this.#end(active);
        } else if (!diskOk && !active.paused) {
          active.paused = true;
          active.detach?.();
          active.detach = undefined;
          this.#options.store.recordings.update(active.recording.id, { state: 'paused' });
          this.#warn(channel.id, `recording paused: less than ${gb(this.#options.minFreeBytes)} free`);
        } else if (diskOk && active.paused) {
          active.paused = false;
          this.#warned.delete(channel.id);
          this.#options.store.recordings.update(active.recording.id, { state: 'recording' });
          this.#attach(active);
          this.#log.info({ channel: channel.id }, 'recording resumed');
        }
      }
      if (diskOk) for (const id of this.#warned) if (!this.#active.has(id)) this.#warned.delete(id);
    } finally {
      this.#checking = false;
    }
  }

  /** Ends every recording (the broadcasts have ended) and waits for the files to be closed. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#options.engine.off('switched', this.#onSwitched);
    const exits = [...this.#active.values()].map(
      (active) =>
        new Promise<void>((resolve) => {
          if (active.ffmpeg.exitCode !== null) {
            resolve();
            return;
          }
          active.ffmpeg.once('exit', () => {
            resolve();
          });
          this.#end(active);
          setTimeout(() => active.ffmpeg.kill('SIGKILL'), 5000).unref();
        }),
    );
    await Promise.all(exits);
  }

  readonly #onSwitched = (): void => {
    // A broadcast started (or a source changed): start recording at once rather than at the next tick.
    void this.check();
  };

  #start(channelId: string): void {
    const id = randomBytes(8).toString('hex');
    const startedAt = new Date().toISOString();
    const file = `${channelId}-${startedAt.replace(/[:.]/g, '-')}-${id}.mp4`;
    const recording = this.#options.store.recordings.create({ id, channelId, file, startedAt });
    // prettier-ignore
    const ffmpeg = spawn(this.#options.ffmpeg ?? 'ffmpeg', [
      '-hide_banner', '-nostats', '-loglevel', 'error',
      '-f', 'flv', '-i', 'pipe:0',
      '-map', '0:v?', '-map', '0:a?', '-c', 'copy',
      // A fragment per keyframe and the (empty) index first: every fragment written is playable.
      '-movflags', '+frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4',
      join(this.#options.dir, file),
    ], { stdio: ['pipe', 'ignore', 'pipe'] });
    const active: Active = {
      recording,
      ffmpeg,
      startedMs: Date.now(),
      detach: undefined,
      headerSent: false,
      paused: false,
      stderr: '',
    };
    this.#active.set(channelId, active);
    ffmpeg.stderr.on('data', (chunk: Buffer) => {
      active.stderr = (active.stderr + chunk.toString('utf8')).slice(-2000);
    });
    // EPIPE when ffmpeg died: its exit says why.
    ffmpeg.stdin.on('error', () => undefined);
    ffmpeg.once('error', (err) => {
      this.#log.error({ err, channel: channelId }, 'recording: ffmpeg could not start');
      this.#finish(active, 'failed');
    });
    ffmpeg.once('exit', (code, signal) => {
      if (code !== 0)
        this.#log.error({ code, signal, stderr: active.stderr, channel: channelId }, 'recording failed');
      this.#finish(active, code === 0 ? 'done' : 'failed');
    });
    this.#attach(active);
    this.#log.info({ channel: channelId, recording: id }, 'recording started');
    this.#enforceRetention();
  }

  #attach(active: Active): void {
    const stdin = active.ffmpeg.stdin;
    if (!stdin) return;
    let first = true;
    const sink: ByteSink = {
      write: (chunk) => {
        // A viewer's first write is the FLV header: one per file, so a viewer after a pause skips it.
        const skip = first && active.headerSent;
        first = false;
        active.headerSent = true;
        return skip ? true : stdin.write(chunk);
      },
      get writableLength() {
        return stdin.writableLength;
      },
      end: () => {
        stdin.end();
      },
      destroy: () => {
        // The disk stopped taking data for long: close the file as it is rather than hold memory.
        this.#log.warn({ channel: active.recording.channelId }, 'recording: the disk is not keeping up');
        stdin.end();
      },
    };
    active.detach = this.#options.engine.watchProgram(
      active.recording.channelId,
      sink,
      () => {
        active.detach = undefined;
      },
      'recording',
    );
  }

  #end(active: Active): void {
    active.detach?.();
    active.detach = undefined;
    active.ffmpeg.stdin?.end();
  }

  #finish(active: Active, state: 'done' | 'failed'): void {
    const channelId = active.recording.channelId;
    if (this.#active.get(channelId) !== active) return;
    this.#active.delete(channelId);
    active.detach?.();
    this.#options.store.recordings.update(active.recording.id, {
      state,
      endedAt: new Date().toISOString(),
      durationMs: Date.now() - active.startedMs,
      bytes: this.#sizeOf(active.recording.file),
    });
    this.#log.info({ channel: channelId, recording: active.recording.id, state }, 'recording ended');
    this.#enforceRetention();
  }

  /**
   * Oldest finished recordings go first until all of them fit RECORDINGS_MAX_GB. The newest is always
   * kept, even alone over the limit: the broadcast that just ended is the one a streamer wants.
   */
  #enforceRetention(): void {
    const all = this.list();
    let total = all.reduce((sum, r) => sum + r.bytes, 0);
    for (const recording of all.slice(1).reverse()) {
      if (total <= this.#options.maxBytes) break;
      if (recording.state === 'recording' || recording.state === 'paused') continue;
      this.remove(recording.id);
      total -= recording.bytes;
      this.#log.info(
        { recording: recording.id, bytes: recording.bytes },
        'recording deleted: RECORDINGS_MAX_GB',
      );
    }
  }

  /** A crash left rows in 'recording': their files play up to the cut. */
  #recoverInterrupted(): void {
    for (const recording of this.#options.store.recordings.list()) {
      if (recording.state !== 'recording' && recording.state !== 'paused') continue;
      let endedMs = Date.parse(recording.startedAt);
      let bytes = 0;
      try {
        const stat = statSync(join(this.#options.dir, recording.file));
        endedMs = stat.mtimeMs;
        bytes = stat.size;
      } catch {
        // no file at all: nothing was written before the crash
      }
      this.#options.store.recordings.update(recording.id, {
        state: 'interrupted',
        endedAt: new Date(endedMs).toISOString(),
        durationMs: Math.max(0, Math.round(endedMs - Date.parse(recording.startedAt))),
        bytes,
      });
    }
  }

  #warn(channelId: string, message: string): void {
    if (this.#warned.has(channelId)) return;
    this.#warned.add(channelId);
    this.#log.warn({ channel: channelId }, message);
    this.safeEmit('warning', channelId, message);
  }

  #sizeOf(file: string): number {
    try {
      return statSync(join(this.#options.dir, file)).size;
    } catch {
      return 0;
    }
  }
}

async function freeBytesOf(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
}

function gb(bytes: number): string {
  return `${Number((bytes / 1e9).toFixed(1))} GB`;
}
