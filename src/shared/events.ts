import { EventEmitter } from 'node:events';
import { createLogger, type Logger } from './logger.js';

/**
 * Where listener exceptions are logged when an emitter has no handler of its own: stderr until the
 * server's logger takes over ({@link setListenerErrorLogger}, called by main.ts).
 */
let listenerErrorLogger: Logger = createLogger('error', process.stderr);

/** Logs every emitter's listener exceptions (those without an `onListenerError` handler) here. */
export function setListenerErrorLogger(logger: Logger): void {
  listenerErrorLogger = logger;
}

/**
 * An EventEmitter with a typed event map. `safeEmit` (after mediasoup) keeps one throwing listener from
 * breaking the media path that emitted: the exception is logged with the event's name (and the
 * emitter's class), or handed to the emitter's `onListenerError` handler when one is set.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #emitter = new EventEmitter({ captureRejections: false });
  #onListenerError: (err: unknown, event: string) => void = (err, event) => {
    listenerErrorLogger.error({ err, event, emitter: this.constructor.name }, 'event listener threw');
  };

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }

  listenerCount(event: keyof Events & string): number {
    return this.#emitter.listenerCount(event);
  }

  /** Where errors thrown by listeners go (default: logged with the event name). */
  onListenerError(handler: (err: unknown, event: string) => void): void {
    this.#onListenerError = handler;
  }

  /** Emits without ever throwing into the caller. */
  protected safeEmit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    for (const listener of this.#emitter.rawListeners(event)) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (err) {
        try {
          this.#onListenerError(err, event);
        } catch {
          // A broken error handler must not break the emitter either.
        }
      }
    }
  }
}
