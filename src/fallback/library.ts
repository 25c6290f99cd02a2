import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TypedEmitter } from '../shared/events.js';
import { silentLogger, type Logger } from '../shared/logger.js';
import { clipLayout, migrateOldLayout, pruneRenditions, type ClipMeta } from './clip-store.js';
import { conform, renderSlate } from './conform.js';
import { bytesInWords } from '../shared/units.js';
import { FallbackError } from './errors.js';
import { defaultPrograms, probeMedia, type FfmpegPrograms } from './ffmpeg.js';
import type { FallbackInfo, FallbackJob, FallbackKind } from '../contract/index.js';
import { JobQueue } from './job-queue.js';
import { preloadRendition } from './loop-source.js';
import { renditionKey, safeKey, type RenditionParams } from './params.js';

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
  /** Longest rendition made, in seconds (default 600). */
  maxRenditionSec?: number;
  /** Renditions kept per channel besides the current parameters' (default 3, most recently used first). */
  keepRenditions?: number;
  /** Bytes of renditions kept per channel, and of slates (default 4 GiB); the current one always stays. */
  maxRenditionBytes?: number;
  /** Which ffmpeg/ffprobe to run (default: from PATH). */
  programs?: FfmpegPrograms;
}

export type { FallbackInfo } from '../contract/index.js';

/** A file to play, and what it is. */
export interface FallbackChoice {
  file: string;
  kind: FallbackKind;
}

const SLATES_KEPT = 8;

/**
 * The fallback media of every channel, on disk under `<dataDir>/fallback/` (layout in clip-store.ts).
 * An upload becomes a *pending* clip; the channel's current clip and its renditions play on until the
 * pending one is conformed, and only then is it swapped in (one atomic rename of `current.json`) and the
 * old one deleted. A refused upload or a failed conform deletes only what it brought. Files appear under
 * their final names only whole (rename), so `current()` can trust a plain existence check and never blocks.
 */
export class FallbackLibrary extends TypedEmitter<FallbackLibraryEvents> {
  /** Largest upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  readonly #root: string;
  readonly #logger: Logger;
  readonly #programs: FfmpegPrograms;
  readonly #maxRenditionSec: number;
  readonly #keep: number;
  readonly #maxBytes: number;
  readonly #queue: JobQueue;
  /** Uploads being conformed, per channel: the clip id that becomes current when its job succeeds. */
  readonly #pending = new Map<string, string>();
  /** The params each channel last asked for: kept through pruning, and made first for a new clip. */
  readonly #wanted = new Map<string, RenditionParams>();
  /** Serialises accept() per channel. */
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #closing = new AbortController();

  constructor(options: FallbackLibraryOptions) {
    super();
    this.maxUploadBytes = options.maxUploadBytes ?? 2 * 1024 ** 3;
    this.#root = join(options.dataDir, 'fallback');
    this.#logger = (options.logger ?? silentLogger).child({ module: 'fallback' });
    this.#programs = options.programs ?? defaultPrograms;
    this.#maxRenditionSec = options.maxRenditionSec ?? 600;
    this.#keep = options.keepRenditions ?? 3;
    this.#maxBytes = options.maxRenditionBytes ?? 4 * 1024 ** 3;
    this.#queue = new JobQueue((job) => {
      this.safeEmit('job', job);
    }, this.#logger);
    // Whatever a crash left half-written goes: unfinished uploads, ffmpeg outputs, clips never swapped in.
    rmSync(join(this.#root, 'incoming'), { recursive: true, force: true });
    for (const dir of ['incoming', 'slates', 'channels'])
      mkdirSync(join(this.#root, dir), { recursive: true });
    removePartials(join(this.#root, 'slates'));
    for (const channel of readdirSync(join(this.#root, 'channels'))) {
      const layout = clipLayout(join(this.#root, 'channels', channel));
      migrateOldLayout(layout, this.#logger);
      layout.removeAllBut(layout.currentId());
      const current = layout.currentId();
      if (current !== undefined) removePartials(layout.renditionsDir(current));
    }
  }

  /** A fresh, random path under `<dataDir>/fallback/incoming/` to receive an upload into. */
  incomingPath(): string {
    return join(this.#root, 'incoming', randomUUID());
  }

  /**
   * Validates a fully received upload at `tmpFile` (probe: an allowed container that decodes whole), stores
   * it as the channel's pending clip and starts conforming it for `params`. The current clip plays on
   * until that job succeeds; then the new clip replaces it. On refusal tmpFile is deleted, nothing else is
   * touched, and FallbackError says why. Returns the job.
   */
  async accept(
    channelId: string,
    tmpFile: string,
    originalName: string,
    params: RenditionParams,
  ): Promise<FallbackJob> {
    const layout = this.#layout(channelId);
    let meta: ClipMeta;
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
          `the upload is ${bytesInWords(sizeBytes)}; the limit is ${bytesInWords(this.maxUploadBytes)}`,
        );
      }
      const probe = await probeMedia(tmpFile, { signal: this.#closing.signal, programs: this.#programs });
      // The client's name is display only: the file is stored as `source`, whatever it was called.
      meta = { name: originalName, sizeBytes, uploadedAt: new Date().toISOString(), probe };
    } catch (err) {
      await rm(tmpFile, { force: true });
      throw err;
    }
    return this.#withLock(channelId, async () => {
      const clipId = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
      const replaced = this.#pending.get(channelId);
      if (replaced !== undefined) {
        // A newer upload wins over one still being conformed: nothing made from that one may land.
        this.#pending.delete(channelId);
        await this.#queue.cancel((_job, source) => source === replaced, 'a newer upload replaced it');
        await rm(layout.clipDir(replaced), { recursive: true, force: true });
      }
      try {
        await mkdir(layout.clipDir(clipId), { recursive: true });
        await rename(tmpFile, layout.sourcePath(clipId));
        await writeFile(`${layout.metaPath(clipId)}.partial`, JSON.stringify(meta));
        await rename(`${layout.metaPath(clipId)}.partial`, layout.metaPath(clipId));
      } catch (err) {
        await rm(tmpFile, { force: true });
        await rm(layout.clipDir(clipId), { recursive: true, force: true });
        throw new FallbackError('NOT_FOUND', 'could not store the upload', { cause: err });
      }
      this.#pending.set(channelId, clipId);
      this.#logger.info(
        { channelId, clipId, sizeBytes: meta.sizeBytes, probe: meta.probe },
        'fallback upload accepted',
      );
      const { job, done } = this.#enqueueUpload(channelId, clipId, params, () =>
        this.#promote(channelId, clipId),
      );
      done.catch(async (err: unknown) => {
        if (this.#pending.get(channelId) !== clipId) return;
        this.#pending.delete(channelId);
        this.#logger.warn(
          { channelId, clipId, err },
          'fallback upload not conformed: the previous fallback stays',
        );
        await this.#queue.cancel((_job, source) => source === clipId, 'its upload was refused');
        await rm(layout.clipDir(clipId), { recursive: true, force: true }).catch(() => undefined);
        // What was asked for meanwhile went to the refused clip: make it from the current one instead.
        const wanted = this.#wanted.get(channelId);
        if (wanted !== undefined) this.prepare(channelId, wanted);
      });
      return job;
    });
  }

  /**
   * The best file to play now for these params, never blocking: the channel's clip rendered exactly for
   * them, else the slate for them, else the nearest safe stand-in (same codec, size and audio format:
   * what a platform would see change), else undefined.
   */
  current(channelId: string, params: RenditionParams): FallbackChoice | undefined {
    const layout = this.#layout(channelId);
    const clip = layout.currentId();
    const key = renditionKey(params);
    const exact: FallbackChoice[] = [];
    if (clip !== undefined)
      exact.push({ file: join(layout.renditionsDir(clip), `${key}.flv`), kind: 'upload' });
    exact.push({ file: this.#slatePath(key), kind: 'slate' });
    const found = exact.find((c) => existsSync(c.file)) ?? this.#nearest(clip, layout, params);
    if (found !== undefined) touch(found.file); // recently used: kept by pruning
    return found;
  }

  /** Makes sure a rendition (from the upload if any, and the slate) exists for these params, in the background; returns immediately. One job per (clip, key) at a time; at most one ffmpeg conform at a time overall (2 cores), slates first since they're quick. */
  prepare(channelId: string, params: RenditionParams): void {
    if (this.#closing.signal.aborted) return;
    this.#wanted.set(channelId, params);
    const key = renditionKey(params);
    if (!existsSync(this.#slatePath(key))) this.#enqueueSlate(params);
    const layout = this.#layout(channelId);
    // While an upload is pending, renditions are made from it: it is the clip that will play. The current
    // clip serves meanwhile with what it has (current() finds the nearest safe stand-in).
    const clip = this.#pending.get(channelId) ?? layout.currentId();
    if (clip !== undefined && !existsSync(join(layout.renditionsDir(clip), `${key}.flv`))) {
      this.#enqueueUpload(channelId, clip, params);
    }
  }

  /** Renders (or returns the cached) slate: used before the first fallback when nothing else exists. */
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

  /** Info on the channel's current clip: original name, size, uploadedAt, renditions (keys, sizes). */
  info(channelId: string): FallbackInfo {
    const layout = this.#layout(channelId);
    const clip = layout.currentId();
    const meta = clip === undefined ? undefined : layout.meta(clip);
    const renditions: FallbackInfo['renditions'] = [];
    const dir = clip === undefined ? undefined : layout.renditionsDir(clip);
    for (const name of dir !== undefined && existsSync(dir) ? readdirSync(dir).sort() : []) {
      if (!name.endsWith('.flv')) continue;
      try {
        renditions.push({
          key: name.slice(0, -'.flv'.length),
          sizeBytes: statSync(join(dir ?? '', name)).size,
        });
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

  /** The channel's current original upload: its path on disk, the name it was uploaded as, its size. */
  originalFile(channelId: string): { path: string; name: string; sizeBytes: number } | undefined {
    const layout = this.#layout(channelId);
    const clip = layout.currentId();
    const meta = clip === undefined ? undefined : layout.meta(clip);
    if (clip === undefined || meta === undefined) return undefined;
    const path = layout.sourcePath(clip);
    try {
      return { path, name: meta.name, sizeBytes: statSync(path).size };
    } catch {
      return undefined;
    }
  }

  /** Deletes the channel's uploads and renditions (slates stay); its running jobs are aborted. */
  remove(channelId: string): void {
    this.#pending.delete(channelId);
    void this.#queue.cancel(
      (j) => j.channelId === channelId && j.kind === 'upload',
      'the upload was removed',
    );
    // maxRetries: an aborted ffmpeg may still be closing its .partial inside.
    rmSync(this.#layout(channelId).dir, { recursive: true, force: true, maxRetries: 3 });
  }

  /** Abort running ffmpeg jobs (shutdown). */
  close(): void {
    this.#closing.abort(new FallbackError('CONFORM_FAILED', 'shutting down'));
    void this.#queue.close();
  }

  #layout(channelId: string): ReturnType<typeof clipLayout> {
    if (channelId === '') throw new FallbackError('NOT_FOUND', 'no channel id');
    // Percent-encode all but [A-Za-z0-9_-]: any id, '.' and '..' included, becomes one safe path segment.
    const safe = encodeURIComponent(channelId).replace(
      /[.!~*'()]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    return clipLayout(join(this.#root, 'channels', safe));
  }

  #slatePath(key: string): string {
    return join(this.#root, 'slates', `${key}.flv`);
  }

  /** A rendition or slate with the same safe key (codec, size, audio format), most recently made first. */
  #nearest(
    clip: string | undefined,
    layout: ReturnType<typeof clipLayout>,
    params: RenditionParams,
  ): FallbackChoice | undefined {
    const prefix = `${safeKey(params)}-`;
    const dirs: [string, FallbackChoice['kind']][] = [[join(this.#root, 'slates'), 'slate']];
    if (clip !== undefined) dirs.unshift([layout.renditionsDir(clip), 'upload']);
    for (const [dir, kind] of dirs) {
      const names = existsSync(dir)
        ? readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.flv'))
        : [];
      const newest = names
        .map((n) => ({
          file: join(dir, n),
          mtimeMs: statSync(join(dir, n), { throwIfNoEntry: false })?.mtimeMs ?? 0,
        }))
        .sort((a, b) => b.mtimeMs - a.mtimeMs)[0];
      if (newest !== undefined) return { file: newest.file, kind };
    }
    return undefined;
  }

  /** The pending clip's first rendition is made: it becomes the current clip, and the old one goes. */
  async #promote(channelId: string, clipId: string): Promise<void> {
    if (this.#pending.get(channelId) !== clipId) {
      throw new FallbackError('CONFORM_FAILED', 'a newer upload replaced it');
    }
    const layout = this.#layout(channelId);
    const old = layout.currentId();
    await layout.setCurrent(clipId);
    this.#pending.delete(channelId);
    this.#logger.info({ channelId, clipId }, 'fallback upload is now the channel fallback');
    if (old !== undefined && old !== clipId) {
      await this.#queue.cancel((_job, source) => source === old, 'the upload it was made from was replaced');
      await rm(layout.clipDir(old), { recursive: true, force: true, maxRetries: 3 });
    }
    const wanted = this.#wanted.get(channelId);
    // After this job ends, so the wanted rendition is a job of the new clip, not this one.
    if (wanted !== undefined)
      setImmediate(() => {
        this.prepare(channelId, wanted);
      });
  }

  /** Runs `fn` alone for this channel. */
  async #withLock<T>(channelId: string, fn: () => Promise<T>): Promise<T> {
    const current = (this.#locks.get(channelId) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.#locks.set(channelId, current);
    try {
      return await current;
    } finally {
      if (this.#locks.get(channelId) === current) this.#locks.delete(channelId);
    }
  }

  #enqueueUpload(
    channelId: string,
    clipId: string,
    params: RenditionParams,
    then?: () => Promise<void>,
  ): { job: FallbackJob; done: Promise<void> } {
    const key = renditionKey(params);
    const layout = this.#layout(channelId);
    return this.#queue.enqueue(
      channelId,
      'upload',
      key,
      async (signal, onProgress) => {
        const meta = layout.meta(clipId);
        const live = this.#pending.get(channelId) === clipId || layout.currentId() === clipId;
        if (meta === undefined || !live) {
          throw new FallbackError('NOT_FOUND', 'the upload this was made from is gone');
        }
        const output = join(layout.renditionsDir(clipId), `${key}.flv`);
        await conform(layout.sourcePath(clipId), output, params, {
          signal,
          onProgress,
          programs: this.#programs,
          probe: meta.probe,
          maxDurationSec: this.#maxRenditionSec,
        });
        if (then !== undefined) await then();
        this.#prune(channelId);
        void preloadRendition(output); // its first fallback start need not read the whole file first
      },
      clipId,
    );
  }

  #enqueueSlate(params: RenditionParams): { job: FallbackJob; done: Promise<void> } {
    const key = renditionKey(params);
    return this.#queue.enqueue('', 'slate', key, async (signal, onProgress) => {
      await renderSlate(this.#slatePath(key), params, undefined, {
        signal,
        onProgress,
        programs: this.#programs,
        logger: this.#logger,
      });
      const keep = [...this.#wanted.values()].map((p) => `${renditionKey(p)}.flv`);
      pruneRenditions(join(this.#root, 'slates'), keep, SLATES_KEPT, this.#maxBytes, this.#logger);
    });
  }

  /** Renditions of the channel's current clip: the wanted params' and the few most recently used. */
  #prune(channelId: string): void {
    const layout = this.#layout(channelId);
    const clip = layout.currentId();
    if (clip === undefined) return;
    const wanted = this.#wanted.get(channelId);
    const keep = wanted === undefined ? [] : [`${renditionKey(wanted)}.flv`];
    pruneRenditions(layout.renditionsDir(clip), keep, this.#keep, this.#maxBytes, this.#logger);
  }
}

/** Marks a file as just used (mtime), so pruning keeps it. */
function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // gone meanwhile: the caller's open will say so
  }
}

function removePartials(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.partial') || name.endsWith('.partial.mp4')) rmSync(join(dir, name), { force: true });
  }
}
