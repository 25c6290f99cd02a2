/**
 * Real peer processes (ffmpeg, nginx, stunnel) for tests and the bench, started so that they never leak:
 * every process is in a registry; a process started inside a test is stopped when that test finishes
 * (vitest's `onTestFinished`), and anything still alive when the worker exits or is sent SIGTERM (how
 * vitest stops its forks) is killed synchronously. Peers started in `beforeAll` should be stopped in
 * `afterAll` (or with `stopAllPeers()`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { onTestFinished } from 'vitest';

/** How a peer process ended. */
export interface PeerExit {
  /** Exit code, or null when a signal ended it (or it never started). */
  code: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** The tail of what it wrote to stderr (and the spawn error, if it could not start). */
  stderr: string;
}

/** Options of {@link spawnPeer}. */
export interface SpawnPeerOptions {
  /** Working directory of the child. */
  cwd?: string;
  /** Extra environment variables (merged over `process.env`). */
  env?: Record<string, string>;
  /** `pipe` to write to the child's stdin (e.g. ffmpeg's `q`); `ignore` otherwise (default). */
  stdin?: 'pipe' | 'ignore';
  /** Signal for a graceful `stop()` (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** How long `stop()` waits after the graceful signal before SIGKILL (default 5000 ms). */
  stopTimeoutMs?: number;
  /** Synchronous hard kill, used by `kill()`, after the stop timeout and at process exit (default: SIGKILL the child). */
  killSync?: () => void;
  /** Register a stop with the current vitest test, if any (default true). */
  stopWithTest?: boolean;
}

/** A running peer program. */
export interface PeerProcess {
  /** Short name used in error messages (e.g. `ffmpeg publisher`). */
  readonly name: string;
  /** The node child process. */
  readonly child: ChildProcess;
  /** The child's pid (-1 if it could not be spawned). */
  readonly pid: number;
  /** Settles once the process has exited; never rejects. */
  readonly exited: Promise<PeerExit>;
  /** True until the process has exited. */
  isRunning(): boolean;
  /** The last `maxChars` characters of stderr. */
  stderrTail(maxChars?: number): string;
  /** Send a signal if still running. */
  signal(sig: NodeJS.Signals): void;
  /** Graceful stop: `stopSignal`, then SIGKILL after `timeoutMs`. Idempotent. */
  stop(timeoutMs?: number): Promise<PeerExit>;
  /** Hard kill (SIGKILL, or `killSync`) and wait for the exit. */
  kill(): Promise<PeerExit>;
}

const STDERR_KEEP_CHARS = 64 * 1024;
const live = new Set<{ peer: PeerProcess; killSync: () => void }>();
let hooksInstalled = false;

const exitCleanups = new Set<() => void>();

function killAllSync(): void {
  for (const entry of live) {
    try {
      entry.killSync();
    } catch {
      // best effort: the process may already be gone
    }
  }
  live.clear();
  for (const cleanup of exitCleanups) {
    try {
      cleanup();
    } catch {
      // best effort
    }
  }
  exitCleanups.clear();
}

/** Run `cleanup` (synchronous) when this process exits or is sent SIGTERM, after the peers are killed. */
export function onProcessExit(cleanup: () => void): void {
  installExitHooks();
  exitCleanups.add(cleanup);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllSync);
  const onTerm = (): void => {
    killAllSync();
    // Restore the default behaviour and re-raise, so the process still dies of SIGTERM.
    process.off('SIGTERM', onTerm);
    process.kill(process.pid, 'SIGTERM');
  };
  process.on('SIGTERM', onTerm);
}

/** Spawn a real program as a tracked peer (stdout ignored, stderr collected). */
export function spawnPeer(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnPeerOptions = {},
): PeerProcess {
  installExitHooks();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: [options.stdin ?? 'ignore', 'ignore', 'pipe'],
    detached: false,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > STDERR_KEEP_CHARS * 2) stderr = stderr.slice(-STDERR_KEEP_CHARS);
  });
  // A broken stdin pipe (the child exited) must not become an uncaught error.
  child.stdin?.on('error', () => undefined);

  let running = true;
  const exited = new Promise<PeerExit>((resolve) => {
    const finish = (code: number | null, signal: NodeJS.Signals | null, extra = ''): void => {
      if (!running) return;
      running = false;
      live.delete(entry);
      resolve({ code, signal, stderr: tail(stderr + extra, STDERR_KEEP_CHARS) });
    };
    child.once('error', (err) => {
      finish(null, null, `\n[spawn ${command} failed: ${err.message}]`);
    });
    // 'close' (not 'exit') so that all of stderr has been read; but a grandchild that inherited stderr
    // (an orphaned nginx worker) can hold the pipe open, so 'exit' alone settles it after a grace time.
    child.once('close', (code, signal) => {
      finish(code, signal);
    });
    child.once('exit', (code, signal) => {
      setTimeout(() => {
        finish(code, signal, '\n[stderr still open 2 s after exit: a child of it may live on]');
      }, 2000).unref();
    });
  });

  const sendSignal = (sig: NodeJS.Signals): void => {
    if (!running) return;
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };

  const hardKill = (): void => {
    if (!running) return;
    if (options.killSync) options.killSync();
    else sendSignal('SIGKILL');
  };

  let stopping: Promise<PeerExit> | undefined;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5000;
  const peer: PeerProcess = {
    name,
    child,
    pid: child.pid ?? -1,
    exited,
    isRunning: () => running,
    stderrTail: (maxChars = 4000) => tail(stderr, maxChars),
    signal: sendSignal,
    stop(timeoutMs = stopTimeoutMs) {
      stopping ??= (async () => {
        if (!running) return exited;
        sendSignal(options.stopSignal ?? 'SIGTERM');
        // A paused (SIGSTOPped) peer only acts on the signal once continued.
        sendSignal('SIGCONT');
        const timer = setTimeout(hardKill, timeoutMs);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
    kill() {
      hardKill();
      return exited;
    },
  };
  const entry = { peer, killSync: hardKill };
  if (child.pid !== undefined) live.add(entry);

  if (options.stopWithTest ?? true) registerTestCleanup(() => peer.stop().then(() => undefined));
  return peer;
}

/**
 * Run `cleanup` when the current vitest test finishes; outside a test (beforeAll, the bench) this
 * does nothing and returns false, and the caller owns the cleanup.
 */
export function registerTestCleanup(cleanup: () => Promise<void>): boolean {
  try {
    onTestFinished(cleanup);
    return true;
  } catch {
    return false;
  }
}

/** Stop every peer still running (for `afterAll` / `afterEach`). */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...live].map((entry) => entry.peer.stop()));
}

/** The last `maxChars` characters of `text`, marked when cut. */
export function tail(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `…${text.slice(-maxChars)}`;
}

/** An error that carries a peer's stderr tail. */
export function peerError(message: string, peer?: PeerProcess): Error {
  if (!peer) return new Error(message);
  const state = peer.isRunning() ? 'running' : 'exited';
  return new Error(
    `${message}\n--- ${peer.name} (pid ${peer.pid}, ${state}) stderr tail ---\n${peer.stderrTail()}`,
  );
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10000 ms). */
  timeoutMs?: number;
  /** Poll interval (default 50 ms). */
  intervalMs?: number;
  /** What is awaited, for the error message. */
  what: string;
  /** Peer whose stderr goes into the error, and whose exit ends the wait early. */
  peer?: PeerProcess;
}

/** Poll `condition` until it is true; reject with a clear message (and the peer's stderr) on timeout. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (options.peer && !options.peer.isRunning()) {
      const exit = await options.peer.exited;
      throw peerError(
        `${options.peer.name} exited (code ${exit.code}, signal ${exit.signal}) while waiting for ${options.what}`,
        options.peer,
      );
    }
    if (Date.now() >= deadline) {
      throw peerError(`timed out after ${timeoutMs} ms waiting for ${options.what}`, options.peer);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

/** Resolve with `promise`'s value, or reject after `timeoutMs` with `what` and the peer's stderr. */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  peer?: PeerProcess,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(peerError(`timed out after ${timeoutMs} ms waiting for ${what}`, peer));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pids whose parent is `pid` (Linux /proc; empty elsewhere). Synchronous, so usable at exit. */
export function childPidsSync(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid ..."; comm may contain spaces, so split after the ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

/** Send `sig` to `pid`, ignoring a process that is already gone. */
export function signalPid(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone
  }
}
