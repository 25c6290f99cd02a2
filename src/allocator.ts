/**
 * The server's memory allocator. glibc's malloc keeps the memory that many short-lived connections
 * used: after `npm run soak` (about 90,000 hostile connections) the server's RSS stayed 87 MB above
 * where it started although the JavaScript heap and buffers were back to theirs. jemalloc gives it
 * back (+14 MB). So where Debian's `libjemalloc2` is installed, `restream serve` re-executes itself
 * once with it preloaded: the same process id, so systemd and process supervisors see no change.
 * `RESTREAM_MALLOC=system` keeps glibc's.
 */
import { existsSync } from 'node:fs';

/** Where distributions install jemalloc's shared library. */
const jemallocPaths = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/lib64/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
];

/**
 * Freed pages go back to the system within a second (jemalloc's default is 10 s), by a background
 * thread rather than on the media path.
 */
const jemallocConf = 'background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0';

/** Re-executes this process with jemalloc preloaded, when it is installed and not preloaded yet. */
export function preferJemalloc(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform !== 'linux' || env.RESTREAM_MALLOC === 'system') return;
  if ((env.LD_PRELOAD ?? '').includes('jemalloc') || process.execve === undefined) return;
  const library = jemallocPaths.find((path) => existsSync(path));
  if (library === undefined) return;
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    ...env,
    LD_PRELOAD: env.LD_PRELOAD ? `${library}:${env.LD_PRELOAD}` : library,
    MALLOC_CONF: env.MALLOC_CONF ?? jemallocConf,
  });
}
