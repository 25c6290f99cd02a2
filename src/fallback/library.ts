import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { TypedEmitter } from '../shared/events.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { conform, renderSlate } from './conform.js';
import { FallbackError } from './errors.js';
import { defaultPrograms, probeMedia, type FfmpegPrograms, type ProbedMedia } from './ffmpeg.js';
import type { FallbackInfo, FallbackJob, FallbackKind } from '../contract/index.js';
import { JobQueue } from './job-queue.js';
import { renditionKey, type RenditionParams } from './params.js';

export type { FallbackJob } from '../contract/index.js';

/** Events of a FallbackLibrary. */
export interface FallbackLibraryEvents {
  /** A job was queued, started, advanced by >= 1 %, or ended (a snapshot). */
  job: [job: FallbackJob];
}

/** Options of a FallbackLibrary. */
export interface FallbackLibraryOptions {
  /** The server's data directory; files live under `<dataDir>/fallback/`. */
  dataDir: string;
  /** Where job starts, ends and failures are logged. */
  logger?: Logger;
  /** Largest upload accepted (default 2 GiB). */
  maxUploadBytes?: number;
  /** Longest rendition made, in seconds (default 600): the loop source holds it in memory. */
  maxRenditionSec?: number;
  /** Which ffmpeg/ffprobe to run (default: from PATH). */
  programs?: FfmpegPrograms;
}

export type { FallbackInfo } from '../contract/index.js';

/** What `original.json` records beside an accepted upload. */
interface OriginalMeta {
  file: string;
  name: string;
  sizeBytes: number;
  uploadedAt: string;
  probe: ProbedMedia;
}

/**
 * The fallback media of every channel, on disk under `<dataDir>/fallback/`:
 *   incoming/<random>                                 uploads being received (never a client's file name)
 *   channels/<channel>/original.<ext>, original.json  the accepted upload, and what it is
 *   channels/<channel>/renditions/<key>.flv           conformed renditions
 *   slates/<key>.flv                                  the built-in slate, per params
 * Channel ids are percent-encoded into one path segment, under channels/ so that no id can collide with
 * incoming/ or slates/. Files appear under their final names only whole (rename), so `current()` can
 * trust a plain existence check and never blocks.
 */
export class FallbackLibrary extends TypedEmitter<FallbackLibraryEvents> {
  /** Largest upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  readonly #root: string;
  readonly #logger: Logger;
  readonly #programs: FfmpegPrograms;
  readonly #maxRenditionSec: number;
  readonly #queue: JobQueue;
  /** Channels whose upload is being swapped, and prepare() calls waiting for the swap to end. */
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #deferred = new Map<string, RenditionParams[]>();
  readonly #closing = new AbortController();

  constructor(options: FallbackLibraryOptions) {
    super();
    this.maxUploadBytes = options.maxUploadBytes ?? 2 * 1024 ** 3;
    this.#root = join(options.dataDir, 'fallback');
    this.#logger = (options.logger ?? silentLogger).child({ module: 'fallback' });
    this.#programs = options.programs ?? defaultPrograms;
    this.#maxRenditionSec = options.maxRenditionSec ?? 600;
    this.#queue = new JobQueue((job) => {
      this.safeEmit('job', job);
    }, this.#logger);
    // Whatever a crash left half-written goes: unfinished uploads and ffmpeg outputs.
    rmSync(join(this.#root, 'incoming'), { recursive: true, force: true });
    for (const dir of ['incoming', 'slates', 'channels'])
      mkdirSync(join(this.#root, dir), { recursive: true });
    removePartials(join(this.#root, 'slates'));
    for (const channel of readdirSync(join(this.#root, 'channels'))) {
      removePartials(join(this.#root, 'channels', channel, 'renditions'));
    }
  }

  /** A fresh, random path under `<dataDir>/fallback/incoming/` to receive an upload into. */
  incomingPath(): string {
    return join(this.#root, 'incoming', randomUUID());
  }

  /** Validates a fully received upload at `tmpFile` (probe); on success it replaces the channel's original (atomically: rename) and deletes its old renditions, then starts a conform job for `params` (the channel's current/last live params or defaultParams); on failure deletes tmpFile, leaves the current fallback untouched and throws FallbackError. Returns the job. */
  async accept(
    channelId: string,
    tmpFile: string,
    originalName: string,
    params: RenditionParams,
  ): Promise<FallbackJob> {
    const dir = this.#channelDir(channelId);
    let meta: OriginalMeta;
    try {
      const sizeBytes = await stat(tmpFile).then(
        (s) => s.size,
        (err: unknown) => {
          throw new FallbackError('NOT_FOUND', 'the upload is gone', { cause: err });
        },
      );
      if (sizeBytes > this.maxUploadBytes) {
        throw new FallbackError(
          'TOO_LARGE',
          `the upload is ${sizeBytes} bytes; the limit is ${this.maxUploadBytes}`,
        );
      }
      const probe = await probeMedia(tmpFile, { signal: this.#closing.signal, programs: this.#programs });
      // Only the extension of the client's name is used, and only if it is plain: [a-z0-9]{1,10}.
      const ext = extname(originalName).slice(1).toLowerCase();
      const file = `original.${/^[a-z0-9]{1,10}$/.test(ext) ? ext : 'bin'}`;
      meta = { file, name: originalName, sizeBytes, uploadedAt: new Date().toISOString(), probe };
    } catch (err) {
      await rm(tmpFile, { force: true });
      throw err;
    }
    return this.#withLock(channelId, async () => {
      // Nothing made from the old upload may land after it is replaced.
      await this.#queue.cancel(
        (j) => j.channelId === channelId && j.kind === 'upload',
        'a newer upload replaced it',
      );
      try {
        await mkdir(dir, { recursive: true });
        await rename(tmpFile, join(dir, meta.file));
      } catch (err) {
        await rm(tmpFile, { force: true });
        throw new FallbackError('NOT_FOUND', 'could not store the upload', { cause: err });
      }
      await writeFile(join(dir, 'original.json.partial'), JSON.stringify(meta));
      await rename(join(dir, 'original.json.partial'), join(dir, 'original.json'));
      for (const name of await readdir(dir)) {
        const stale = name.startsWith('original.') && name !== meta.file && name !== 'original.json';
        if (stale) await rm(join(dir, name), { force: true });
      }
      await rm(join(dir, 'renditions'), { recursive: true, force: true });
      this.#logger.info(
        { channelId, sizeBytes: meta.sizeBytes, probe: meta.probe },
        'fallback upload accepted',
      );
      return this.#enqueueUpload(channelId, params).job;
    });
  }

  /** The best file to play now for these params: the channel's conformed upload for exactly these params, else the slate for these params if already rendered, else undefined. Never blocks. */
  current(channelId: string, params: RenditionParams): { file: string; kind: FallbackKind } | undefined {
    const key = renditionKey(params);
    const upload = this.#renditionPath(channelId, key);
    if (existsSync(upload)) return { file: upload, kind: 'upload' };
    const slate = this.#slatePath(key);
    if (existsSync(slate)) return { file: slate, kind: 'slate' };
    return undefined;
  }

  /** Makes sure a rendition (from the upload if any, and the slate) exists for these params, in the background; returns immediately. One job per (channel,key) at a time; at most one ffmpeg conform at a time overall (2 cores), slates first since they're quick. */
  prepare(channelId: string, params: RenditionParams): void {
    if (this.#closing.signal.aborted) return;
    const key = renditionKey(params);
    if (!existsSync(this.#slatePath(key))) this.#enqueueSlate(params);
    if (this.#locks.has(channelId)) {
      // An upload is being swapped in: make this rendition from the new one once it is in place.
      this.#deferred.set(channelId, [...(this.#deferred.get(channelId) ?? []), params]);
      return;
    }
    const hasUpload = existsSync(join(this.#channelDir(channelId), 'original.json'));
    if (hasUpload && !existsSync(this.#renditionPath(channelId, key))) this.#enqueueUpload(channelId, params);
  }

  /** Renders (or returns the cached) slate synchronously-awaitable: used before the first fallback when nothing else exists. */
  async slate(params: RenditionParams): Promise<string> {
    const file = this.#slatePath(renditionKey(params));
    if (existsSync(file)) return file;
    await this.#enqueueSlate(params).done;
    return file;
  }

  /** Queued, running and recently finished jobs of one channel (or all, slates included), oldest first. */
  jobs(channelId?: string): FallbackJob[] {
    return this.#queue.list((j) => channelId === undefined || j.channelId === channelId);
  }

  /** One job by id (a snapshot), if known. */
  job(id: string): FallbackJob | undefined {
    return this.#queue.list((j) => j.id === id)[0];
  }

  /** Info on the channel's upload: original name, size, uploadedAt, renditions (keys, sizes). */
  info(channelId: string): FallbackInfo {
    const meta = this.#original(channelId);
    const dir = join(this.#channelDir(channelId), 'renditions');
    const renditions: FallbackInfo['renditions'] = [];
    for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
      if (!name.endsWith('.flv')) continue;
      try {
        renditions.push({ key: name.slice(0, -'.flv'.length), sizeBytes: statSync(join(dir, name)).size });
      } catch {
        // removed meanwhile
      }
    }
    if (meta === undefined) return { renditions };
    return {
      original: { name: meta.name, sizeBytes: meta.sizeBytes, uploadedAt: meta.uploadedAt },
      renditions,
    };
  }

  /** The channel's stored original upload: its path on disk, the name it was uploaded as, its size; undefined when there is none. */
  originalFile(channelId: string): { path: string; name: string; sizeBytes: number } | undefined {
    const meta = this.#original(channelId);
    if (meta === undefined) return undefined;
    const path = join(this.#channelDir(channelId), meta.file);
    try {
      // The file's own size: what will actually be sent (original.json and the file agree, but trust the disk).
      return { path, name: meta.name, sizeBytes: statSync(path).size };
    } catch {
      return undefined;
    }
  }

  /** Deletes the channel's upload and renditions (slates stay); its running jobs are aborted. */
  remove(channelId: string): void {
    void this.#queue.cancel(
      (j) => j.channelId === channelId && j.kind === 'upload',
      'the upload was removed',
    );
    // maxRetries: an aborted ffmpeg may still be closing its .partial inside.
    rmSync(this.#channelDir(channelId), { recursive: true, force: true, maxRetries: 3 });
  }

  /** Abort running ffmpeg jobs (shutdown). */
  close(): void {
    this.#closing.abort(new FallbackError('CONFORM_FAILED', 'shutting down'));
    void this.#queue.close();
  }

  #channelDir(channelId: string): string {
    if (channelId === '') throw new FallbackError('NOT_FOUND', 'no channel id');
    // Percent-encode all but [A-Za-z0-9_-]: any id, '.' and '..' included, becomes one safe path segment.
    const safe = encodeURIComponent(channelId).replace(
      /[.!~*'()]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    return join(this.#root, 'channels', safe);
  }

  #renditionPath(channelId: string, key: string): string {
    return join(this.#channelDir(channelId), 'renditions', `${key}.flv`);
  }

  #slatePath(key: string): string {
    return join(this.#root, 'slates', `${key}.flv`);
  }

  #original(channelId: string): OriginalMeta | undefined {
    try {
      return JSON.parse(
        readFileSync(join(this.#channelDir(channelId), 'original.json'), 'utf8'),
      ) as OriginalMeta;
    } catch {
      return undefined;
    }
  }

  /** Runs `fn` alone for this channel; prepare() calls made meanwhile run after it. */
  async #withLock<T>(channelId: string, fn: () => Promise<T>): Promise<T> {
    const current = (this.#locks.get(channelId) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.#locks.set(channelId, current);
    try {
      return await current;
    } finally {
      if (this.#locks.get(channelId) === current) {
        this.#locks.delete(channelId);
        const deferred = this.#deferred.get(channelId) ?? [];
        this.#deferred.delete(channelId);
        for (const params of deferred) this.prepare(channelId, params);
      }
    }
  }

  #enqueueUpload(channelId: string, params: RenditionParams): { job: FallbackJob; done: Promise<void> } {
    const key = renditionKey(params);
    const output = this.#renditionPath(channelId, key);
    return this.#queue.enqueue(channelId, 'upload', key, async (signal, onProgress) => {
      // Read when the job runs, not when queued: the upload it makes a rendition of is the current one.
      const meta = this.#original(channelId);
      if (meta === undefined) throw new FallbackError('NOT_FOUND', 'the channel has no fallback upload');
      await conform(join(this.#channelDir(channelId), meta.file), output, params, {
        signal,
        onProgress,
        programs: this.#programs,
        probe: meta.probe,
        maxDurationSec: this.#maxRenditionSec,
      });
    });
  }

  #enqueueSlate(params: RenditionParams): { job: FallbackJob; done: Promise<void> } {
    const key = renditionKey(params);
    return this.#queue.enqueue('', 'slate', key, (signal, onProgress) =>
      renderSlate(this.#slatePath(key), params, undefined, {
        signal,
        onProgress,
        programs: this.#programs,
        logger: this.#logger,
      }),
    );
  }
}

function removePartials(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.partial')) rmSync(join(dir, name), { force: true });
  }
}
