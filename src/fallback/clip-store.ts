/**
 * Where a channel's fallback clips live on disk. No file name here ever comes from a client, so no upload
 * name can land on the metadata (a video uploaded as `x.json` was once stored as `original.json`):
 *
 *   channels/<channel>/current.json                 { "clip": "<id>" }: the clip that plays (atomic rename)
 *   channels/<channel>/clips/<id>/source            the upload as received
 *   channels/<channel>/clips/<id>/clip.json         its display name, size, upload time, probe
 *   channels/<channel>/clips/<id>/renditions/<key>.flv
 *
 * A clip other than the current one is an upload still being conformed; after a restart it is gone.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { ProbedMedia } from './ffmpeg.js';

/** What `clip.json` records beside an accepted upload. */
export interface ClipMeta {
  /** The name it was uploaded as (display only). */
  name: string;
  sizeBytes: number;
  uploadedAt: string;
  probe: ProbedMedia;
}

/** Clip ids are made by the library: base36 time, '-', 8 hex digits. */
const CLIP_ID = /^[a-z0-9]{1,16}-[a-f0-9]{8}$/;

/** The paths of one channel's clips (see the file comment). */
export function clipLayout(dir: string) {
  const clipsDir = join(dir, 'clips');
  const currentFile = join(dir, 'current.json');
  const clipDir = (id: string): string => join(clipsDir, id);
  return {
    dir,
    clipDir,
    sourcePath: (id: string): string => join(clipDir(id), 'source'),
    metaPath: (id: string): string => join(clipDir(id), 'clip.json'),
    renditionsDir: (id: string): string => join(clipDir(id), 'renditions'),
    meta(id: string): ClipMeta | undefined {
      try {
        return JSON.parse(readFileSync(join(clipDir(id), 'clip.json'), 'utf8')) as ClipMeta;
      } catch {
        return undefined;
      }
    },
    currentId(): string | undefined {
      try {
        const { clip } = JSON.parse(readFileSync(currentFile, 'utf8')) as { clip?: unknown };
        return typeof clip === 'string' && CLIP_ID.test(clip) ? clip : undefined;
      } catch {
        return undefined;
      }
    },
    async setCurrent(id: string): Promise<void> {
      await writeFile(`${currentFile}.partial`, JSON.stringify({ clip: id }));
      await rename(`${currentFile}.partial`, currentFile);
    },
    /** Deletes every clip but `keep` (clips a crash left pending). */
    removeAllBut(keep: string | undefined): void {
      if (!existsSync(clipsDir)) return;
      for (const id of readdirSync(clipsDir)) {
        if (id !== keep) rmSync(join(clipsDir, id), { recursive: true, force: true });
      }
    },
  };
}

/** The layout of one channel, as {@link clipLayout} returns it. */
export type ClipLayout = ReturnType<typeof clipLayout>;

/** Moves a channel stored the old way (original.<ext>, original.json, renditions/) into a clip. */
export function migrateOldLayout(layout: ClipLayout, logger: Logger): void {
  const oldMeta = join(layout.dir, 'original.json');
  if (!existsSync(oldMeta) || layout.currentId() !== undefined) return;
  try {
    const meta = JSON.parse(readFileSync(oldMeta, 'utf8')) as Partial<ClipMeta> & { file?: unknown };
    const file =
      typeof meta.file === 'string' && /^original\.[a-z0-9]{1,10}$/.test(meta.file) ? meta.file : undefined;
    if (file === undefined || file === 'original.json' || meta.probe === undefined)
      throw new Error('unusable');
    const id = `${Date.now().toString(36)}-00000000`;
    mkdirSync(layout.clipDir(id), { recursive: true });
    renameSync(join(layout.dir, file), layout.sourcePath(id));
    const kept: ClipMeta = {
      name: meta.name ?? 'upload',
      sizeBytes: meta.sizeBytes ?? 0,
      uploadedAt: meta.uploadedAt ?? new Date(0).toISOString(),
      probe: meta.probe,
    };
    writeFileSync(layout.metaPath(id), JSON.stringify(kept));
    if (existsSync(join(layout.dir, 'renditions')))
      renameSync(join(layout.dir, 'renditions'), layout.renditionsDir(id));
    writeFileSync(join(layout.dir, 'current.json'), JSON.stringify({ clip: id }));
    logger.info({ dir: layout.dir }, 'fallback upload moved to the clip layout');
  } catch (err) {
    logger.warn({ dir: layout.dir, err }, 'an old fallback upload could not be kept');
  }
  for (const name of readdirSync(layout.dir)) {
    if (name.startsWith('original.') || name === 'renditions')
      rmSync(join(layout.dir, name), { recursive: true, force: true });
  }
}

/**
 * Keeps the renditions named in `keep`, then the most recently used others while there are at most
 * `keepCount` of them and all kept files together stay within `maxBytes`; deletes the rest. A rendition
 * being played may be deleted: its open file stays readable until the player closes it.
 */
export function pruneRenditions(
  dir: string,
  keep: readonly string[],
  keepCount: number,
  maxBytes: number,
  logger: Logger,
): void {
  if (!existsSync(dir)) return;
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.flv'))
    .map((name) => {
      const s = statSync(join(dir, name), { throwIfNoEntry: false });
      return { name, sizeBytes: s?.size ?? 0, mtimeMs: s?.mtimeMs ?? 0, keep: keep.includes(name) };
    })
    .sort((a, b) => Number(b.keep) - Number(a.keep) || b.mtimeMs - a.mtimeMs);
  let bytes = 0;
  let others = 0;
  for (const file of files) {
    const fits = others < keepCount && bytes + file.sizeBytes <= maxBytes;
    if (file.keep || fits) {
      bytes += file.sizeBytes;
      if (!file.keep) others++;
      continue;
    }
    rmSync(join(dir, file.name), { force: true });
    logger.info({ dir, rendition: file.name }, 'old fallback rendition pruned');
  }
}
