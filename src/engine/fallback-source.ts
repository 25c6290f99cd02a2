import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { MediaPacket } from '../media/packet.js';
import { LoopSource } from '../fallback/loop-source.js';
import { defaultParams, renditionKey, type RenditionParams } from '../fallback/params.js';
import type { FallbackKind } from '../contract/index.js';

/** What the fallback source needs from the fallback library. */
export interface FallbackFiles {
  /** The file to play now for these parameters (a conformed upload, else a rendered slate). */
  current(channelId: string, params: RenditionParams): { file: string; kind: FallbackKind } | undefined;
  /** Starts making what is missing for these parameters, in the background. */
  prepare(channelId: string, params: RenditionParams): void;
  /** The slate for these parameters, rendered now if it is not cached. */
  slate(params: RenditionParams): Promise<string>;
}

/**
 * Plays a channel's fallback: picks the rendition that matches what the platforms already receive
 * (docs/architecture.md rule 3), loops it in real time and hands its packets on. One per channel.
 */
export class FallbackSource {
  readonly #channelId: string;
  readonly #files: FallbackFiles;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onPacket: (packet: MediaPacket) => void;
  #params: RenditionParams | undefined;
  #loop: LoopSource | undefined;
  #playing = false;
  /** Bumped on every start/stop, so a slow open that finishes after a stop is discarded. */
  #generation = 0;
  /** What is on air now (for status). */
  kind: FallbackKind | undefined;

  constructor(options: {
    channelId: string;
    files: FallbackFiles;
    clock: Clock;
    logger: Logger;
    onPacket: (packet: MediaPacket) => void;
  }) {
    this.#channelId = options.channelId;
    this.#files = options.files;
    this.#clock = options.clock;
    this.#log = options.logger;
    this.#onPacket = options.onPacket;
  }

  /**
   * The live stream's parameters are known (or changed): renditions must match them from now on, so
   * have them made while live is still on air, before anyone needs them.
   */
  setParams(params: RenditionParams): void {
    if (this.#params && renditionKey(this.#params) === renditionKey(params)) return;
    this.#params = params;
    this.#files.prepare(this.#channelId, params);
  }

  /** What renditions must match: the live parameters, or the defaults before any live was seen. */
  get params(): RenditionParams {
    return this.#params ?? defaultParams;
  }

  get playing(): boolean {
    return this.#playing;
  }

  /** Starts looping the fallback; resolves once its first packets are out (or it failed, logged). */
  async start(): Promise<void> {
    if (this.#playing) return;
    this.#playing = true;
    const generation = ++this.#generation;
    // Until a live stream was seen there is nothing to match; afterwards, never anything else.
    const params = this.params;
    try {
      let choice = this.#files.current(this.#channelId, params);
      if (!choice) choice = { file: await this.#files.slate(params), kind: 'slate' };
      const loop = await LoopSource.open(choice.file, this.#clock);
      if (generation !== this.#generation) {
        loop.close();
        return;
      }
      this.#loop = loop;
      this.kind = choice.kind;
      loop.on('packet', this.#onPacket);
      loop.on('error', (err) => {
        this.#log.error({ err: err.message }, 'fallback source failed');
      });
      loop.start();
      this.#log.info({ kind: choice.kind }, 'fallback playing');
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, 'no fallback could be played');
      if (generation === this.#generation) this.#playing = false;
    }
  }

  stop(): void {
    this.#generation++;
    this.#playing = false;
    this.kind = undefined;
    this.#loop?.close(); // releases the rendition file
    this.#loop?.removeAllListeners();
    this.#loop = undefined;
  }
}
