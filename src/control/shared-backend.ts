import { RestreamError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Store } from '../store/index.js';
import type { FallbackUploads, LiveView } from './ports.js';

/** Error codes of the control plane (the API maps them to HTTP status). */
export type ControlPlaneErrorCode = 'VALIDATION' | 'NOT_FOUND' | 'CONFLICT';

/** A rejected input, naming the field at fault. */
export class ControlPlaneError extends RestreamError<ControlPlaneErrorCode> {
  /** The input field at fault. */
  readonly field: string;

  constructor(code: ControlPlaneErrorCode, message: string, field: string) {
    super(code, message);
    this.name = 'ControlPlaneError';
    this.field = field;
  }
}

/** What the area backends share: the store, the engine, the fallback library, and the checks on them. */
export class SharedBackend {
  /** The configuration store. */
  readonly store: Store;
  /** The running engine. */
  readonly live: LiveView;
  /** Where failures of the engine's change handlers are reported. */
  readonly logger: Logger;
  /** The fallback library. */
  readonly fallback: FallbackUploads;

  constructor(options: { store: Store; live: LiveView; logger: Logger; fallback: FallbackUploads }) {
    this.store = options.store;
    this.live = options.live;
    this.logger = options.logger;
    this.fallback = options.fallback;
  }

  /** NOT_FOUND naming `field` (the path's `id`, or a body's `channelId`) for an unknown channel. */
  checkChannel(id: string, field: string): void {
    if (!this.store.channels.find(id)) throw new ControlPlaneError('NOT_FOUND', `no channel '${id}'`, field);
  }

  /** The store has the change already; an engine failure to apply it is logged, not thrown at the API. */
  notify(
    event: 'destinationsChanged' | 'channelKeysChanged' | 'channelSettingsChanged',
    channelId: string,
  ): void {
    try {
      this.live[event]?.(channelId);
    } catch (err) {
      this.logger.error({ err, channelId }, `engine failed to apply ${event}`);
    }
  }
}
