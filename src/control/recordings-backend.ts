import type { RecordingDto } from '../contract/index.js';
import type { RecordingFiles } from './ports.js';
import { ControlPlaneError } from './shared-backend.js';

/** Recordings: the recorder's files, with the API's errors (none recorded when there is no recorder). */
export class RecordingsBackend {
  readonly #recorder: RecordingFiles | undefined;

  constructor(recorder: RecordingFiles | undefined) {
    this.#recorder = recorder;
  }

  /** Newest first, all or one channel's. */
  readonly list = (channelId?: string): RecordingDto[] =>
    (this.#recorder?.list(channelId) ?? []).map((r) => ({
      id: r.id,
      channelId: r.channelId,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      durationMs: r.durationMs,
      bytes: r.bytes,
      state: r.state,
    }));

  /** A recording's file on disk (NOT_FOUND, field `id`). */
  readonly file = (id: string): { path: string; name: string; sizeBytes: number } => {
    const found = this.#recorder?.file(id);
    if (!found) throw new ControlPlaneError('NOT_FOUND', `no recording '${id}'`, 'id');
    return found;
  };

  /** Deletes a finished recording: NOT_FOUND, or CONFLICT while it is being written (field `id`). */
  readonly remove = (id: string): void => {
    const result = this.#recorder?.remove(id) ?? 'unknown';
    if (result === 'unknown') throw new ControlPlaneError('NOT_FOUND', `no recording '${id}'`, 'id');
    if (result === 'active') {
      throw new ControlPlaneError(
        'CONFLICT',
        'this recording is being written: end the broadcast or turn recording off first',
        'id',
      );
    }
  };
}
