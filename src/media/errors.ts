import { RestreamError } from '../shared/errors.js';

/** Why a media payload, codec configuration or FLV file could not be read. */
export type MediaErrorCode =
  /** An audio/video tag header is too short or garbled. */
  | 'TAG_MALFORMED'
  /** A decoder configuration record (avcC, hvcC, av1C, AudioSpecificConfig…) or its SPS is garbled. */
  | 'CONFIG_MALFORMED'
  /** A sequence-header payload of a codec this module cannot describe. */
  | 'CODEC_UNSUPPORTED'
  /** An FLV file has a bad signature or header, or a tag too large to write. */
  | 'FLV_MALFORMED'
  /** A data message that should hold metadata does not decode as AMF0. */
  | 'METADATA_MALFORMED';

/** The error every parser in src/media throws; anything lower-level is wrapped in `cause`. */
export class MediaError extends RestreamError<MediaErrorCode> {
  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'MediaError';
  }
}

/**
 * Runs a parser and rethrows anything that is not already a MediaError (RangeError from `readUInt8` past
 * the end, mostly) as a MediaError with `code`, so callers only ever see one error type.
 */
export function wrapMediaErrors<T>(code: MediaErrorCode, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError(code, `${what}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
