/** Running ffmpeg and ffprobe as child processes: argument vectors (never a shell), progress, abort. */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { FallbackError } from './errors.js';

/** Where the ffmpeg and ffprobe executables are (PATH names by default). */
export interface FfmpegPrograms {
  /** ffmpeg executable. */
  ffmpeg: string;
  /** ffprobe executable. */
  ffprobe: string;
}

/** ffmpeg and ffprobe as found on PATH. */
export const defaultPrograms: FfmpegPrograms = Object.freeze({ ffmpeg: 'ffmpeg', ffprobe: 'ffprobe' });

/** Options of {@link runProgram}. */
export interface RunOptions {
  /** Kills the process (SIGKILL) and rejects with CONFORM_FAILED. */
  signal?: AbortSignal;
  /** Kills the process after this long and rejects with CONFORM_FAILED. */
  timeoutMs?: number;
  /** The args contain `-progress pipe:1`: parse stdout as progress lines instead of collecting it. */
  progress?: boolean;
  /** With `progress`: the expected output duration, so progress becomes a percentage. */
  durationSec?: number;
  /** With `progress` and `durationSec`: 0-100, called as ffmpeg advances (not throttled). */
  onProgress?: (percent: number) => void;
  /** Lower the child's CPU priority (nice value), so a background conform never starves the relay. */
  nice?: number;
  /** stderr lines matching this are kept whole in `matches`, however much else ffmpeg writes. */
  watch?: RegExp;
}

/** How a run ended. */
export interface RunResult {
  /** Exit code (null when a signal ended it). */
  code: number | null;
  /** All of stdout (empty with `progress`). */
  stdout: string;
  /** The last few KB of stderr, for error messages. */
  stderrTail: string;
  /** With `progress`: the last out_time in seconds (NaN if none). */
  outTimeSec: number;
  /** With `progress`: the last frame count (video frames or packets written). */
  frames: number;
  /** stderr lines that matched `watch` (at most 20). */
  matches: string[];
}

const STDERR_TAIL_CHARS = 4000;
const MAX_MATCHES = 20;

/**
 * Runs ffmpeg/ffprobe with an argument vector (never a shell). Resolves with the exit code whatever it
 * is; rejects only when the program is missing (FFMPEG_MISSING) or on abort/timeout (CONFORM_FAILED).
 */
export function runProgram(
  program: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(aborted(program, options.signal.reason));
      return;
    }
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (options.nice !== undefined && child.pid !== undefined) {
      try {
        setPriority(child.pid, options.nice);
      } catch {
        // not allowed here (some containers): run at normal priority
      }
    }
    const result: RunResult = {
      code: null,
      stdout: '',
      stderrTail: '',
      outTimeSec: NaN,
      frames: 0,
      matches: [],
    };
    let stdoutRest = '';
    let stderrRest = '';
    let failure: Error | undefined;
    const kill = (err: Error): void => {
      failure ??= err;
      child.kill('SIGKILL');
    };
    const onAbort = (): void => {
      kill(aborted(program, options.signal?.reason));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            kill(new FallbackError('CONFORM_FAILED', `${program} timed out after ${options.timeoutMs} ms`));
          }, options.timeoutMs);
    timer?.unref();

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (!options.progress) {
        result.stdout += chunk;
        return;
      }
      const lines = (stdoutRest + chunk).split('\n');
      stdoutRest = lines.pop() ?? '';
      for (const line of lines) progressLine(line.trim(), result, options);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      result.stderrTail = (result.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
      if (options.watch === undefined) return;
      const lines = (stderrRest + chunk).split('\n');
      stderrRest = lines.pop() ?? '';
      for (const line of lines) {
        if (options.watch.test(line) && result.matches.length < MAX_MATCHES) result.matches.push(line.trim());
      }
    });
    const settle = (): void => {
      options.signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) clearTimeout(timer);
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      settle();
      if (err.code === 'ENOENT') {
        reject(
          new FallbackError('FFMPEG_MISSING', `${program} not found (install the ffmpeg package)`, {
            cause: err,
          }),
        );
      } else {
        reject(
          new FallbackError('CONFORM_FAILED', `${program} could not start: ${err.message}`, { cause: err }),
        );
      }
    });
    child.once('close', (code) => {
      settle();
      if (options.watch !== undefined && options.watch.test(stderrRest))
        result.matches.push(stderrRest.trim());
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      result.code = code;
      resolve(result);
    });
  });
}

function aborted(program: string, reason: unknown): FallbackError {
  return new FallbackError('CONFORM_FAILED', `${program} aborted`, { cause: reason });
}

/** One `-progress` line: key=value, e.g. out_time_us=5014000, frame=75, progress=end. */
function progressLine(line: string, result: RunResult, options: RunOptions): void {
  const eq = line.indexOf('=');
  if (eq === -1) return;
  const key = line.slice(0, eq);
  const value = line.slice(eq + 1);
  if (key === 'frame') {
    const frames = Number(value);
    if (Number.isFinite(frames)) result.frames = frames;
  } else if (key === 'out_time_us') {
    const us = Number(value); // 'N/A' before the first packet
    if (!Number.isFinite(us) || us < 0) return;
    result.outTimeSec = us / 1e6;
    const duration = options.durationSec;
    if (options.onProgress && duration !== undefined && duration > 0) {
      options.onProgress(Math.min(100, (result.outTimeSec / duration) * 100));
    }
  }
}
