/**
 * The physical limit beside the scaling curve: how many copies of the stream the link can carry, its
 * bandwidth ÷ the stream's bitrate. Everything in the bench runs on loopback, so the link is loopback:
 * its throughput is measured once by a short TCP blast inside the bench process (one connection,
 * 64 KiB writes, 2 s; a single node process on both ends, so it is a floor of what the kernel can
 * copy, not a ceiling). Real NICs' nominal speeds (/sys/class/net/IFACE/speed) are listed beside it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';

/** The link figures and what they allow. */
export interface PhysicalLimit {
  /** Loopback TCP throughput measured by the blast, Mbit/s. */
  loopbackMbps: number;
  /** Nominal speed of each non-loopback interface that reports one, Mbit/s. */
  nics: { name: string; mbps: number }[];
  /** The stream's bitrate it is divided by, Mbit/s. */
  streamMbps: number;
  /** loopbackMbps ÷ streamMbps, rounded down. */
  loopbackStreams: number;
}

/** Sends 64 KiB chunks over one loopback TCP connection for `ms`; the receiver's bytes / time. */
export async function loopbackMbps(ms = 2000): Promise<number> {
  let received = 0;
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = createConnection({ host: '127.0.0.1', port });
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const t0 = performance.now();
  let stop = false;
  const pump = (): void => {
    while (!stop && client.write(chunk));
  };
  client.on('drain', pump);
  pump();
  await new Promise((resolve) => setTimeout(resolve, ms));
  stop = true;
  const seconds = (performance.now() - t0) / 1000;
  const bytes = received;
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  return (bytes * 8) / seconds / 1e6;
}

/** Nominal speeds of the real interfaces (those without a speed, or with -1, are left out). */
export function nicSpeeds(): { name: string; mbps: number }[] {
  let names: string[];
  try {
    names = readdirSync('/sys/class/net');
  } catch {
    return [];
  }
  return names
    .filter((name) => name !== 'lo')
    .flatMap((name) => {
      try {
        const mbps = Number(readFileSync(`/sys/class/net/${name}/speed`, 'utf8').trim());
        return Number.isFinite(mbps) && mbps > 0 ? [{ name, mbps }] : [];
      } catch {
        return [];
      }
    });
}

/** Measures loopback, reads the NICs, divides by `streamMbps`. */
export async function physicalLimit(streamMbps: number): Promise<PhysicalLimit> {
  const loopback = await loopbackMbps();
  return {
    loopbackMbps: loopback,
    nics: nicSpeeds(),
    streamMbps,
    loopbackStreams: Math.floor(loopback / streamMbps),
  };
}

/** One line for the report. */
export function physicalLimitLine(limit: PhysicalLimit): string {
  const nics =
    limit.nics.length === 0
      ? 'no real NIC reports a speed here'
      : limit.nics
          .map((n) => `${n.name} ${n.mbps} Mbit/s nominal: ${Math.floor(n.mbps / limit.streamMbps)} streams`)
          .join('; ');
  return (
    `Physical limit: loopback carries ${(limit.loopbackMbps / 1000).toFixed(1)} Gbit/s (one TCP connection, ` +
    `2 s blast in the bench process) ÷ ${limit.streamMbps.toFixed(2)} Mbit/s = ${limit.loopbackStreams} ` +
    `destinations at most; ${nics}.`
  );
}
