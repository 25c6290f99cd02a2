/**
 * Syscalls per second of a relay's process tree, counted by `strace -c` attached for a short window
 * (Debian's strace; skipped with a note where it is missing or not allowed). strace slows what it traces,
 * so this window is separate from the CPU window: it counts calls, it does not time anything.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../test/helpers/tmp.js';
import { findProgram } from '../test/helpers/programs.js';
import { processTree } from './proc-stats.js';

/** What the relay asked of the kernel, per second of the window. */
export interface SyscallRates {
  /** Every syscall. */
  totalPerSec: number;
  /** Those that send bytes: write, writev, sendmsg, sendto. */
  writesPerSec: number;
  /** The top calls by count, per second. */
  top: { name: string; perSec: number }[];
}

const writeCalls = new Set(['write', 'writev', 'sendmsg', 'sendto', 'sendmmsg']);

/** Attaches strace to every process (and thread, `-f`) of `roots`' trees for `seconds`. */
export async function countSyscalls(
  roots: readonly number[],
  seconds: number,
): Promise<SyscallRates | string> {
  const strace = findProgram('strace');
  if (strace === undefined) return 'strace not installed (apt-get install strace)';
  const pids = processTree(roots);
  const out = join(makeTempDir('bench-strace', 'process'), 'summary.txt');
  const args = ['-c', '-f', '-qq', '-o', out, ...pids.flatMap((pid) => ['-p', String(pid)])];
  const child = spawn(strace, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  child.kill('SIGINT'); // strace detaches and writes the summary
  const code = await exited;
  try {
    return parseSummary(readFileSync(out, 'utf8'), seconds);
  } catch {
    return `strace gave no summary (exit ${code}): ${stderr.trim().slice(0, 200)}`;
  } finally {
    rmSync(out, { force: true });
  }
}

/**
 * strace -c's table: `% time  seconds  usecs/call  calls  errors  syscall`, the errors column empty
 * for most rows, and a `total` row last.
 */
export function parseSummary(text: string, seconds: number): SyscallRates {
  const rows: { name: string; calls: number }[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const name = fields.at(-1);
    if (name === undefined || fields.length < 5 || !/^[\d.]+$/.test(fields[0] ?? '')) continue;
    // With an errors column there are 6 fields, else 5: calls is the 4th either way.
    rows.push({ name, calls: Number(fields[3]) });
  }
  const total = rows.find((r) => r.name === 'total');
  if (total === undefined) throw new Error('no total row');
  const calls = rows.filter((r) => r.name !== 'total');
  return {
    totalPerSec: total.calls / seconds,
    writesPerSec: calls.filter((r) => writeCalls.has(r.name)).reduce((s, r) => s + r.calls, 0) / seconds,
    top: calls
      .sort((a, b) => b.calls - a.calls)
      .slice(0, 4)
      .map((r) => ({ name: r.name, perSec: r.calls / seconds })),
  };
}
