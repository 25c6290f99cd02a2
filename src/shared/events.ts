import { EventEmitter } from 'node:events';

/**
 * An EventEmitter with a typed event map. `safeEmit` (after mediasoup) keeps one throwing listener from
 * breaking the media path that emitted: the error is reported on `listenerError` instead.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #emitter = new EventEmitter({ captureRejections: false });
  #onListenerError: (err: unknown, event: string) => void = () => undefined;

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

  /** Where errors thrown by listeners go (default: dropped). */
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
