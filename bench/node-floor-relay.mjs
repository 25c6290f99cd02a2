/**
 * The Node floor: the least a Node.js process can do to relay this stream to N RTMP destinations, as a
 * reference row in the bench, not a product. Run as its own node process:
 * `node bench/node-floor-relay.mjs INGEST_PORT FLUSH_MS URL...`, each URL `rtmp://host:port/app/key`.
 * Plain JavaScript, so no type-stripping loader sits in the measured process.
 *
 * It takes FLV over plain TCP (the bench's ffmpeg with `-flush_packets 1`, one write per tag, so the
 * reads come at the frame rate as from an RTMP publisher), chunks each tag into RTMP once, and every
 * FLUSH_MS writes what came in to every destination as one buffer: the same coalescing as this project's
 * outputs, with none of its work (no RTMP server side, no switching, no fallback, no stats, no API). It
 * uses no project code, so what it costs is what Node itself costs for this traffic.
 */
import net from 'node:net';

const [ingestPort, flushMsText, ...urls] = process.argv.slice(2);
if (ingestPort === undefined || flushMsText === undefined || urls.length === 0) {
  console.error('usage: node-floor-relay.mjs INGEST_PORT FLUSH_MS URL...');
  process.exit(2);
}
const flushMs = Number(flushMsText);
const CHUNK_SIZE = 4096;
/** What the client sends first (C0 and C1) and what it waits for (S0, S1 and S2). */
const C0_C1_BYTES = 1 + 1536;
const S0_S1_S2_BYTES = 1 + 1536 + 1536;

/** One RTMP message as chunks (format 0, then format 3 continuations), stream id 1 unless given. */
/** @returns {Buffer} */
function chunked(csid, typeId, timestamp, payload, streamId = 1) {
  const extended = timestamp >= 0xffffff;
  const head = Buffer.alloc(12 + (extended ? 4 : 0));
  head[0] = csid;
  head.writeUIntBE(extended ? 0xffffff : timestamp, 1, 3);
  head.writeUIntBE(payload.length, 4, 3);
  head[7] = typeId;
  head.writeUInt32LE(streamId, 8);
  if (extended) head.writeUInt32BE(timestamp, 12);
  const parts = [head];
  for (let at = 0; at < payload.length; at += CHUNK_SIZE) {
    if (at > 0) {
      const cont = Buffer.alloc(1 + (extended ? 4 : 0));
      cont[0] = 0xc0 | csid;
      if (extended) cont.writeUInt32BE(timestamp, 1);
      parts.push(cont);
    }
    parts.push(payload.subarray(at, at + CHUNK_SIZE));
  }
  return Buffer.concat(parts);
}

/** AMF0 values enough for the publish commands. */
/** @param {(string | number | null | Record<string, string>)[]} values */
function amf(...values) {
  const parts = [];
  /** @param {string} s */
  const str = (s) => {
    const b = Buffer.alloc(2 + Buffer.byteLength(s));
    b.writeUInt16BE(b.length - 2);
    b.write(s, 2);
    return b;
  };
  for (const v of values) {
    if (v === null) parts.push(Buffer.from([0x05]));
    else if (typeof v === 'number') {
      const b = Buffer.alloc(9);
      b.writeDoubleBE(v, 1);
      parts.push(b);
    } else if (typeof v === 'string') parts.push(Buffer.from([0x02]), str(v));
    else {
      parts.push(Buffer.from([0x03]));
      for (const [k, s] of Object.entries(v)) parts.push(str(k), Buffer.from([0x02]), str(s));
      parts.push(Buffer.from([0, 0, 0x09]));
    }
  }
  return Buffer.concat(parts);
}

/** A destination: handshake, then connect, createStream and publish sent at once, then media. */
class Destination {
  /** Media held until the handshake is done (only at the start). */
  #held = [];
  #handshakeRead = 0;

  /** @param {string} url */
  constructor(url) {
    const u = new URL(url);
    const [app = '', key = ''] = u.pathname.slice(1).split('/');
    this.socket = net.connect(Number(u.port), u.hostname);
    this.socket.setNoDelay(true);
    const c1 = Buffer.alloc(C0_C1_BYTES);
    c1[0] = 3;
    this.socket.write(c1);
    const s1 = Buffer.alloc(1536);
    this.socket.on('data', (data) => {
      if (this.#held === undefined) return; // whatever the destination says later is not needed
      // S1 is echoed back as C2.
      const s1From = Math.max(0, 1 - this.#handshakeRead);
      const s1To = Math.min(data.length, 1 + 1536 - this.#handshakeRead);
      if (s1To > s1From) data.copy(s1, this.#handshakeRead + s1From - 1, s1From, s1To);
      this.#handshakeRead += data.length;
      if (this.#handshakeRead < S0_S1_S2_BYTES) return;
      const tcUrl = `rtmp://${u.host}/${app}`;
      const setChunkSize = Buffer.alloc(4);
      setChunkSize.writeUInt32BE(CHUNK_SIZE);
      this.socket.write(
        Buffer.concat([
          s1,
          chunked(2, 1, 0, setChunkSize, 0),
          chunked(3, 20, 0, amf('connect', 1, { app, type: 'nonprivate', flashVer: 'FMLE/3.0', tcUrl }), 0),
          chunked(3, 20, 0, amf('createStream', 2, null), 0),
          chunked(8, 20, 0, amf('publish', 3, null, key, 'live')),
          ...this.#held,
        ]),
      );
      this.#held = undefined;
    });
    this.socket.on('error', (err) => {
      console.error(`${url}: ${err.message}`);
    });
  }

  /** @param {Buffer} bytes */
  write(bytes) {
    if (this.#held) this.#held.push(bytes);
    else this.socket.write(bytes);
  }
}

const destinations = urls.map((url) => new Destination(url));

/** RTMP messages since the last flush. */
let pending = [];
function flush() {
  const bytes = pending.length === 1 ? pending[0] : Buffer.concat(pending);
  pending = [];
  for (const d of destinations) d.write(bytes);
}

const csidOf = { 8: 4, 9: 6, 18: 5 };
net
  .createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let headerDone = false;
    socket.on('data', (data) => {
      buffered = buffered.length === 0 ? data : Buffer.concat([buffered, data]);
      if (!headerDone) {
        if (buffered.length < 13) return;
        buffered = buffered.subarray(13); // FLV header and PreviousTagSize0
        headerDone = true;
      }
      while (buffered.length >= 11) {
        const size = buffered.readUIntBE(1, 3);
        if (buffered.length < 11 + size + 4) break;
        const type = buffered[0];
        const timestamp = buffered.readUIntBE(4, 3) + buffered[7] * 0x1000000;
        const csid = csidOf[type];
        if (csid !== undefined) {
          pending.push(chunked(csid, type, timestamp, buffered.subarray(11, 11 + size)));
          if (pending.length === 1) setTimeout(flush, flushMs);
        }
        buffered = buffered.subarray(11 + size + 4);
      }
    });
    socket.on('error', () => undefined);
  })
  .listen(Number(ingestPort), '127.0.0.1');

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
