/**
 * One attack of issue 10 against a running server, with its RSS before, at the peak and after a settle:
 * how the before/after figures in the README were taken (the server may be any build).
 *
 *   npx tsx test/soak/attack.ts --pid PID --port RTMP_PORT --attack chunk1 [--connections 4] [--mb 16]
 *   npx tsx test/soak/attack.ts --pid PID --port RTMP_PORT --attack mutated [--sessions 3000] [--concurrency 16]
 */
import { parseArgs } from 'node:util';
import { chunkFlood, loopbackAddress, mutatedPublishSession } from './rtmp-attacks.js';
import { RssSampler, openFds, rssMb } from './proc-probe.js';

const { values } = parseArgs({
  options: {
    pid: { type: 'string' },
    port: { type: 'string' },
    attack: { type: 'string', default: 'chunk1' },
    connections: { type: 'string', default: '4' },
    mb: { type: 'string', default: '16' },
    'chunk-size': { type: 'string', default: '1' },
    sessions: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '16' },
    'settle-seconds': { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
  },
});
const pid = Number(values.pid);
const port = Number(values.port);
if (!pid || !port) throw new Error('--pid and --port are required');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (n: number): string => `${n.toFixed(1)} MB`;

const before = { rss: rssMb(pid), fds: openFds(pid) };
console.log(`before: RSS ${mb(before.rss)}, ${before.fds} fds`);
const sampler = new RssSampler(pid);
const started = Date.now();
if (values.attack === 'chunk1') {
  const results = await Promise.all(
    Array.from({ length: Number(values.connections) }, (_, i) =>
      chunkFlood(
        { port, localAddress: loopbackAddress(i) },
        { chunkSize: Number(values['chunk-size']), totalBytes: Number(values.mb) * 1_000_000 },
      ),
    ),
  );
  for (const r of results) console.log(`  sent ${r.sentBytes} bytes, cut by the server: ${r.cutByServer}`);
} else if (values.attack === 'mutated') {
  const total = Number(values.sessions);
  let next = 0;
  const seed = Number(values.seed);
  await Promise.all(
    Array.from({ length: Number(values.concurrency) }, async (_, worker) => {
      while (next < total) {
        const n = next++;
        await mutatedPublishSession({ port, localAddress: loopbackAddress(worker) }, seed + n);
      }
    }),
  );
  console.log(`  ${total} mutated publish sessions`);
} else {
  throw new Error(`unknown --attack ${values.attack}`);
}
const peak = sampler.stop();
console.log(
  `attack took ${((Date.now() - started) / 1000).toFixed(1)} s; peak RSS ${mb(peak)} (+${mb(peak - before.rss)})`,
);
await sleep(Number(values['settle-seconds']) * 1000);
const after = { rss: rssMb(pid), fds: openFds(pid) };
console.log(
  `after ${values['settle-seconds']} s: RSS ${mb(after.rss)} (${after.rss >= before.rss ? '+' : ''}${mb(after.rss - before.rss)}), ${after.fds} fds`,
);
