import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from './shared/logger.js';
import { setListenerErrorLogger } from './shared/events.js';
import { openStore, type Store } from './store/index.js';
import { ChannelManager, type ChannelManagerOptions } from './engine/channel-manager.js';
import { ControlPlane } from './control/control-plane.js';
import { EventFeed } from './observability/event-feed.js';
import { BroadcastLifecycle } from './observability/broadcast-lifecycle.js';
import { History } from './observability/history.js';
import { Metrics } from './observability/metrics.js';
import { Webhooks, type WebhookSenderOptions } from './observability/webhook-sender.js';
import { HookHandler } from './control/publish-hooks.js';
import { InputHistory } from './engine/input-history.js';
import { Recorder, type RecorderOptions } from './engine/recorder.js';
import { FallbackLibrary } from './fallback/library.js';
import { createApi, type ApiDeps } from './api/index.js';
import type { ServerConfig } from './config.js';

/** A running server, as `restream serve` and the integration tests hold it. */
export interface RunningServer {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly manager: ChannelManager;
  readonly fallback: FallbackLibrary;
  readonly api: FastifyInstance;
  readonly logger: Logger;
  /** The event feed behind `/api/events`, the broadcast lifecycle, history and metrics. */
  readonly events: EventFeed;
  /** Bound ports (useful when configured as 0). */
  readonly ports: { rtmp: number; rtmps: number | undefined; http: number };
  /** Ends every broadcast cleanly, closes listeners and the database. */
  stop(): Promise<void>;
}

/** Extra wiring for tests and embedding (TLS CAs for destinations, a logger). */
export interface StartOptions {
  logger?: Logger;
  output?: ChannelManagerOptions['output'];
  /** Continuity settings for every channel (tests shorten the timers). */
  continuity?: ChannelManagerOptions['continuity'];
  /** Where the one-time admin password notice goes (default: stdout). */
  announce?: (message: string) => void;
  /** Recorder hooks (tests fake the free disk space and check more often). */
  recorder?: Pick<RecorderOptions, 'freeBytes' | 'checkIntervalMs'>;
  /** HTTP limits over the configured ones (tests shorten the upload rate window). */
  httpLimits?: ApiDeps['limits'];
  /** Webhook delivery policy (tests shorten the retry delays). */
  webhooks?: Pick<WebhookSenderOptions, 'retryDelaysMs' | 'timeoutMs'>;
}

/** The composition root: config -> store -> core -> api -> listen. */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  // A listener that throws must leave a trace: every emitter's safeEmit logs it with the event name.
  setListenerErrorLogger(logger);
  const store = openStore(config.dataDir);
  // On first start without RESTREAM_ADMIN_PASSWORD, a password is generated, only its hash is stored,
  // and it is said once here.
  const generated = await store.auth.ensureAdminPassword(config.adminPassword);
  if (generated !== undefined) {
    const announce = options.announce ?? ((m: string) => process.stdout.write(`${m}\n`));
    announce(
      `\n  Admin password (shown once; set RESTREAM_ADMIN_PASSWORD to choose your own): ${generated}\n`,
    );
  }
  // Renditions and slates are made when a live stream's parameters are first seen, so the one a drop
  // needs is ready before it happens; nothing is rendered up front.
  const fallback = new FallbackLibrary({ dataDir: config.dataDir, logger });
  const manager = new ChannelManager({
    store,
    logger,
    fallback,
    output: { flushIntervalMs: config.outputFlushMs, ...options.output },
    ingest: config.rtmpPending,
    ...(options.continuity ? { continuity: options.continuity } : {}),
  });
  // Events, history, webhooks and metrics all hang off one subscription to the engine: the feed.
  const channelIds = (): string[] => store.channels.list().map((channel) => channel.id);
  const feed = new EventFeed({ engine: manager, jobs: fallback, channels: channelIds });
  const lifecycle = new BroadcastLifecycle(feed);
  const history = new History({ feed, lifecycle, repo: store.history, logger });
  const webhooks = new Webhooks({ lifecycle, repo: store.webhooks, logger, ...options.webhooks });
  const metrics = new Metrics({ engine: manager, feed, channels: channelIds });
  // Recording is engine-side (it reads the program); its warnings reach SSE subscribers through the feed.
  const recorder = new Recorder({
    dir: join(config.dataDir, 'recordings'),
    store,
    engine: manager,
    logger,
    maxBytes: config.recordingsMaxBytes,
    minFreeBytes: config.recordingsMinFreeBytes,
    ...options.recorder,
  });
  recorder.on('warning', (channelId, message) => {
    feed.recordingWarning(channelId, message);
  });
  const inputHistory = new InputHistory({
    channels: channelIds,
    bitrateKbps: (id) => manager.channelStatus(id)?.input?.bitrateKbps,
  });
  /** After the engine has ended every broadcast (so its `ended` events are recorded and sent). */
  const closeObservers = async (): Promise<void> => {
    // The broadcasts have ended, so each recording's file has been ended too: wait for it to close.
    await recorder.close();
    await webhooks.close();
    history.close();
    metrics.close();
    inputHistory.close();
    lifecycle.close();
    feed.close();
  };
  const ports = { rtmp: 0, rtmps: undefined as number | undefined, http: 0 };
  const backend = new ControlPlane({
    store,
    live: manager,
    rtmpPort: () => ports.rtmp,
    logger,
    fallback,
    events: feed,
    metrics,
    inputHistory,
    recorder,
    sessionIdleMs: config.sessionIdleTimeoutMs,
  });
  const hooks = new HookHandler({
    store,
    ingest: manager.ingest,
    logger,
    secret: config.hookSecret,
    pullBase: config.hookPullBase,
  });
  const api = createApi({
    backend,
    logger,
    hooks,
    metricsPublic: config.metricsPublic,
    limits: { ...config.httpLimits, ...options.httpLimits },
    ...(config.trustProxy ? { trustProxy: config.trustProxy } : {}),
    ...(config.httpsTls ? { https: config.httpsTls } : {}),
  });
  try {
    ports.rtmp = await manager.ingest.listen(config.rtmpPort, config.rtmpHost);
    if (config.rtmpsTls)
      ports.rtmps = await manager.ingest.listenTls(config.rtmpsPort, config.rtmpHost, config.rtmpsTls);
    await api.listen({ port: config.httpPort, host: config.httpHost });
    const address = api.server.address();
    ports.http = typeof address === 'object' && address ? address.port : config.httpPort;
  } catch (err) {
    await manager.shutdown();
    await closeObservers();
    fallback.close();
    await api.close();
    store.close();
    throw err;
  }
  logger.info(
    {
      rtmpPort: ports.rtmp,
      rtmpsPort: ports.rtmps,
      httpPort: ports.http,
      https: config.httpsTls !== undefined,
      trustProxy: config.trustProxy ?? null,
      dataDir: config.dataDir,
    },
    'restream server listening',
  );
  let stopping: Promise<void> | undefined;
  return {
    config,
    store,
    manager,
    fallback,
    api,
    logger,
    events: feed,
    ports,
    stop: () =>
      (stopping ??= (async () => {
        await manager.shutdown();
        await closeObservers();
        fallback.close();
        await api.close();
        store.close();
      })()),
  };
}
