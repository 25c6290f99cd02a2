/**
 * Byte taps for the bench: TCP proxies in the bench process that time every media message of the
 * connecting side's RTMP chunk stream, for the continuity figures and the fan-out latency.
 */
import net from 'node:net';
import { ChunkReader } from '../src/rtmp/chunk-reader.js';

/** A media message seen by a tap. */
export interface TapMessage {
  /** performance.now() when the bytes completing it arrived at the tap. */
  at: number;
  conn: number;
  kind: 'video' | 'audio';
  /** RTMP timestamp (ms). */
  timestamp: number;
  keyframe: boolean;
  /**
   * Last bytes of the payload (base64), to find the same frame on the other side: keyframes only, or
   * every video frame for a tap started with `tailEveryFrame`.
   */
  tail?: string;
}

/** RTMP handshake bytes from the connecting side before the chunk stream: C0+C1, then C2. */
const CLIENT_HANDSHAKE_BYTES = 1 + 1536 + 1536;

/**
 * A TCP proxy on 127.0.0.1 that forwards both ways and parses the connecting side's chunk stream: for
 * the ingest tap that is the publisher's media, for the receiver tap what the server sends to that
 * platform. Every media message is timed when the bytes completing it arrive, before they are forwarded.
 */
export class Tap {
  readonly messages: TapMessage[] = [];
  readonly connections: { opened: number; closed: number | undefined }[] = [];
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  readonly #tailEveryFrame: boolean;

  private constructor(server: net.Server, tailEveryFrame: boolean) {
    this.#server = server;
    this.#tailEveryFrame = tailEveryFrame;
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  static async start(targetPort: number, options: { tailEveryFrame?: boolean } = {}): Promise<Tap> {
    const server = net.createServer();
    const tap = new Tap(server, options.tailEveryFrame ?? false);
    server.on('connection', (client) => {
      tap.#accept(client, targetPort);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    return tap;
  }

  #accept(client: net.Socket, targetPort: number): void {
    const conn = this.connections.length;
    const record = { opened: performance.now(), closed: undefined as number | undefined };
    this.connections.push(record);
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      this.#sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        record.closed ??= performance.now();
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.pipe(client);
    let skip = CLIENT_HANDSHAKE_BYTES;
    let reader: ChunkReader | undefined = new ChunkReader({ maxMessageBytes: 16 * 1024 * 1024 });
    client.on('data', (chunk: Buffer) => {
      const at = performance.now();
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
      if (reader === undefined) return;
      let data = chunk;
      if (skip > 0) {
        const n = Math.min(skip, data.length);
        skip -= n;
        data = data.subarray(n);
        if (data.length === 0) return;
      }
      try {
        for (const message of reader.push(data))
          this.#observe(conn, at, message.typeId, message.timestamp, message.payload);
      } catch {
        reader = undefined; // unparseable: keep forwarding, stop timing
      }
    });
  }

  #observe(conn: number, at: number, typeId: number, timestamp: number, payload: Buffer): void {
    if (typeId === 8) {
      // AAC sequence header: packet type 0.
      if (payload[0]! >> 4 === 10 && payload[1] === 0) return;
      this.messages.push({ at, conn, kind: 'audio', timestamp, keyframe: false });
      return;
    }
    if (typeId !== 9 || payload.length < 2) return;
    // AVC: frame type (1 = key) and packet type (0 = sequence header, 1 = NALUs).
    if ((payload[0]! & 0x0f) === 7 && payload[1] === 0) return;
    const keyframe = payload[0]! >> 4 === 1;
    const message: TapMessage = { at, conn, kind: 'video', timestamp, keyframe };
    if (keyframe || this.#tailEveryFrame)
      message.tail = payload.subarray(Math.max(2, payload.length - 64)).toString('base64');
    this.messages.push(message);
  }

  /** The first message at or after `at` that matches. */
  first(at: number, match: (m: TapMessage) => boolean): TapMessage | undefined {
    return this.messages.find((m) => m.at >= at && match(m));
  }

  /** The last message before `at`. */
  lastBefore(at: number): TapMessage | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--)
      if (this.messages[i]!.at < at) return this.messages[i];
    return undefined;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }
}
