import { maskUrlKey, type Logger } from '../shared/logger.js';
import type { Store } from '../store/index.js';
import type { PublishNotification as Notification } from '../contract/index.js';

/** What publish hooks need from the engine's ingest: start and end pulling a channel's live input. */
export interface PullControl {
  /** Makes `url` (an RTMP play URL) the channel's live input. */
  pull(channelId: string, url: URL, key: string): void;
  /** Ends the channel's pull, if it has one; true when it had. */
  endPull(channelId: string, reason: string): boolean;
}

/**
 * Working behind an existing SRS or nginx-rtmp: its on_publish hook asks us whether the stream name is a
 * channel key; if it is, the channel's live source becomes a pull (RTMP play) of that stream from the
 * external server, and everything else (fan-out, fallback, switching) works as with our own ingest.
 */
export class HookHandler {
  readonly secret: string | undefined;
  readonly #store: Store;
  readonly #ingest: PullControl;
  readonly #log: Logger;
  readonly #pullBase: string | undefined;

  /**
   * @param pullBase where to pull from, `rtmp://host:port` (default: the host the publisher connected
   *   to, from the hook's tcUrl)
   */
  constructor(options: {
    store: Store;
    /** The engine's ingest (ChannelManager.ingest). */
    ingest: PullControl;
    logger: Logger;
    secret?: string | undefined;
    pullBase?: string | undefined;
  }) {
    this.#store = options.store;
    this.#ingest = options.ingest;
    this.#log = options.logger.child({ module: 'hooks' });
    this.secret = options.secret;
    this.#pullBase = options.pullBase;
  }

  publish(notification: Notification): boolean {
    const match = this.#store.channels.matchKey(notification.stream);
    if (match?.role !== 'ingest') {
      this.#log.warn(
        { app: notification.app, ip: notification.clientIp },
        'hook: refused an unknown stream key',
      );
      return false;
    }
    const url = this.#pullUrl(notification);
    if (!url) {
      this.#log.warn(
        // An OBS user may have put the key into the server field, and so into tcUrl.
        { tcUrl: notification.tcUrl === undefined ? 'none' : maskUrlKey(notification.tcUrl) },
        'hook: no URL to pull from; set HOOK_PULL_BASE',
      );
      return false;
    }
    this.#log.info(
      { channel: match.channelId, from: url.host },
      'hook: external publisher accepted; pulling',
    );
    this.#ingest.pull(match.channelId, url, notification.stream);
    return true;
  }

  unpublish(notification: Notification): void {
    const match = this.#store.channels.matchKey(notification.stream);
    if (match?.role !== 'ingest') return;
    if (this.#ingest.endPull(match.channelId, 'the external server says the publisher stopped')) {
      this.#log.info({ channel: match.channelId }, 'hook: external publisher stopped');
    }
  }

  #pullUrl(notification: Notification): URL | undefined {
    try {
      // (URL.origin is 'null' for rtmp: URLs: not a special scheme.)
      const tcUrl = new URL(this.#pullBase ?? notification.tcUrl ?? '');
      const base = `${tcUrl.protocol}//${tcUrl.host}`;
      const url = new URL(
        `${base.replace(/\/+$/, '')}/${notification.app}/${encodeURIComponent(notification.stream)}`,
      );
      return url.protocol === 'rtmp:' || url.protocol === 'rtmps:' ? url : undefined;
    } catch {
      return undefined;
    }
  }
}
