import type { ProgramViewerEnd } from '../contract/index.js';
import type { ByteSink } from './ports.js';
import { ControlPlaneError, type SharedBackend } from './shared-backend.js';

/** The program preview (HTTP-FLV): a channel's program into a sink, through the engine's LiveView. */
export class PreviewBackend {
  readonly #shared: SharedBackend;

  constructor(shared: SharedBackend) {
    this.#shared = shared;
  }

  /**
   * Streams a channel's program into `sink` until the returned function is called or `onEnd` says
   * why it stopped. NOT_FOUND (field `id`) for an unknown channel, before anything is written.
   */
  readonly watch = (
    channelId: string,
    sink: ByteSink,
    onEnd?: (why: ProgramViewerEnd) => void,
  ): (() => void) => {
    this.#shared.checkChannel(channelId, 'id');
    const close = this.#shared.live.watchProgram?.(channelId, sink, onEnd);
    if (close === undefined)
      throw new ControlPlaneError('NOT_FOUND', `no program for channel '${channelId}'`, 'id');
    return close;
  };
}
