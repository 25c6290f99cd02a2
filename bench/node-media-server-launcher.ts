/**
 * Node-Media-Server 4 as a relay for the bench, run as its own node process: `node
 * bench/node-media-server-launcher.ts RTMP_PORT DATA_DIR STREAM_PATH URL...` (Node 22's type stripping,
 * so no tsx loader sits in the measured process).
 *
 * NMS 4 has no static push config: its relay pushes are tasks (`relayServer.addTask({ mode: 'push' })`,
 * what its REST API's relay endpoint calls), and a push task subscribes to a local stream that must
 * already be published. So this adds one push task per destination once the ingest stream is published,
 * and runs nothing else (no HTTP, no webadmin, no recording).
 */
import { createRequire } from 'node:module';

/** The parts of NMS 4 (CommonJS, untyped) this uses. */
interface Nms {
  on(event: 'postPublish', listener: (session: { streamPath: string }) => void): void;
  run(): Promise<void>;
  stop(): Promise<void>;
  relayServer: { addTask(config: { url: string; streamPath: string; mode: 'push' }): unknown };
}
type NmsClass = new (config: object, configPath: string | null) => Nms;

const require = createRequire(import.meta.url);
const NodeMediaServer = require('node-media-server') as NmsClass;
const logger = require('node-media-server/src/core/logger.js') as { level: string };

const [port, dataDir, streamPath, ...urls] = process.argv.slice(2);
if (port === undefined || dataDir === undefined || streamPath === undefined || urls.length === 0) {
  console.error('usage: node-media-server-launcher.ts RTMP_PORT DATA_DIR STREAM_PATH URL...');
  process.exit(2);
}

const nms = new NodeMediaServer(
  { bind: '127.0.0.1', rtmp: { port: Number(port) }, store: { path: dataDir }, webadmin: { enable: false } },
  null,
);
// The constructor turns on debug logging (a line per session event, to stdout): errors only.
logger.level = 'error';

let pushing = false;
nms.on('postPublish', (session) => {
  if (pushing || session.streamPath !== streamPath) return;
  pushing = true;
  // postPublish fires before the session becomes the stream's publisher: add the pushes a turn later.
  setImmediate(() => {
    for (const url of urls) nms.relayServer.addTask({ url, streamPath, mode: 'push' });
  });
});

void nms.run();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void nms.stop().finally(() => process.exit(0));
  });
}
