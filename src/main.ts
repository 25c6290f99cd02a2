import type { FastifyInstance } from 'fastify';
import { createLogger, type Logger } from './shared/logger.js';
import { openStore, type Store } from './store/index.js';
import { ChannelManager, type ChannelManagerOptions } from './core/channel-manager.js';
import { ControlPlane } from './core/control-plane.js';
import { EventHub } from './core/event-hub.js';
import { History } from './core/history.js';
import { Metrics } from './core/metrics.js';
import { Webhooks, type WebhookSenderOptions } from './core/webhooks.js';
import { HookHandler } from './core/hooks.js';
import { FallbackLibrary } from './fallback/library.js';
import { createApi } from './api/index.js';
import type { ServerConfig } from './config.js';

/** A running server, as `restream serve` and the integration tests hold it. */
export interface RunningServer {
  readonly config: ServerConfig;
  readonly store: Store;
  readonly manager: ChannelManager;
  readonly fallback: FallbackLibrary;
  readonly api: FastifyInstance;
  readonly logger: Logger;
  /** The event hub behind `/api/events`, history, webhooks and metrics. */
  readonly events: EventHub;
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
  /** Webhook delivery policy (tests shorten the retry delays). */
  webhooks?: Pick<WebhookSenderOptions, 'retryDelaysMs' | 'timeoutMs'>;
}

/** The composition root: config -> store -> core -> api -> listen. */
export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
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
    ingest: config.rtmpPending,
    ...(options.output ? { output: options.output } : {}),
    ...(options.continuity ? { continuity: options.continuity } : {}),
  });
  // Events, history, webhooks and metrics all hang off one subscription to the engine.
  const channelIds = (): string[] => store.channels.list().map((channel) => channel.id);
  const hub = new EventHub({ engine: manager, jobs: fallback, channels: channelIds });
  const history = new History({ hub, repo: store.history, logger });
  const webhooks = new Webhooks({ hub, repo: store.webhooks, logger, ...options.webhooks });
  const metrics = new Metrics({ engine: manager, hub, channels: channelIds });
  /** After the engine has ended every broadcast (so its `ended` events are recorded and sent). */
  const closeObservers = async (): Promise<void> => {
    await webhooks.close();
    history.close();
    metrics.close();
    hub.close();
  };
  const ports = { rtmp: 0, rtmps: undefined as number | undefined, http: 0 };
  const backend = new ControlPlane({
    store,
    live: manager,
    rtmpPort: () => ports.rtmp,
    logger,
    fallback,
    events: hub,
    metrics,
  });
  const hooks = new HookHandler({
    store,
    manager,
    logger,
    secret: config.hookSecret,
    pullBase: config.hookPullBase,
  });
  const api = createApi({ backend, logger, hooks, metricsPublic: config.metricsPublic });
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
    { rtmpPort: ports.rtmp, rtmpsPort: ports.rtmps, httpPort: ports.http, dataDir: config.dataDir },
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
    events: hub,
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
