import { maskUrlKey, type Logger } from '../shared/logger.js';
import type { Store } from '../store/index.js';
import type { ChannelManager } from './channel-manager.js';

/** A notification from an external RTMP server (declared by the API; shape repeated structurally). */
interface Notification {
  app: string;
  stream: string;
  tcUrl: string | undefined;
  clientIp: string | undefined;
}

/**
 * Working behind an existing SRS or nginx-rtmp: its on_publish hook asks us whether the stream name is a
 * channel key; if it is, the channel's live source becomes a pull (RTMP play) of that stream from the
 * external server, and everything else (fan-out, fallback, switching) works as with our own ingest.
 */
export class HookHandler {
  readonly secret: string | undefined;
  readonly #store: Store;
  readonly #manager: ChannelManager;
  readonly #log: Logger;
  readonly #pullBase: string | undefined;

  /**
   * @param pullBase where to pull from, `rtmp://host:port` (default: the host the publisher connected
   *   to, from the hook's tcUrl)
   */
  constructor(options: {
    store: Store;
    manager: ChannelManager;
    logger: Logger;
    secret?: string | undefined;
    pullBase?: string | undefined;
  }) {
    this.#store = options.store;
    this.#manager = options.manager;
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
    this.#manager.ingest.pull(match.channelId, url, notification.stream);
    return true;
  }

  unpublish(notification: Notification): void {
    const match = this.#store.channels.matchKey(notification.stream);
    if (match?.role !== 'ingest') return;
    if (this.#manager.ingest.endPull(match.channelId, 'the external server says the publisher stopped')) {
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
