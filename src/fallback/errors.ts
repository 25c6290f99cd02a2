import { RestreamError } from '../shared/errors.js';

/** Why a fallback upload was refused or a rendition could not be made. */
export type FallbackErrorCode =
  /** ffprobe cannot read the file, or it has no audio/video streams (a text file, a still image). */
  | 'NOT_MEDIA'
  /** The file is media but has no video stream (audio only, or only cover art). */
  | 'NO_VIDEO'
  /** The file ends before its own index says it should (a cut upload, an MP4 without its moov atom). */
  | 'TRUNCATED'
  /** The upload is larger than the configured cap. */
  | 'TOO_LARGE'
  /** ffmpeg failed (or was aborted) while conforming an upload or rendering a slate. */
  | 'CONFORM_FAILED'
  /** ffmpeg or ffprobe is not installed (Debian package `ffmpeg`). */
  | 'FFMPEG_MISSING'
  /** No such upload, rendition or job. */
  | 'NOT_FOUND';

/** The error src/fallback throws; what it caught from ffmpeg or the filesystem is kept in `cause`. */
export class FallbackError extends RestreamError<FallbackErrorCode> {
  constructor(code: FallbackErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'FallbackError';
  }
}
