/** The real curl, as a user or a script runs it against the server. */
import { execFile, spawn } from 'node:child_process';
import { requireProgram } from './programs.js';

/** What curl got: the last response's status and headers (lower-case names), and its body. */
export interface CurlAnswer {
  status: number;
  headers: Map<string, string[]>;
  body: string;
}

/** Runs `curl -sS -D - ARGS…` and parses the answer (after any 1xx/redirect heads, the last one). */
export function curl(args: string[], options: { cwd?: string } = {}): Promise<CurlAnswer> {
  const bin = requireProgram('curl', 'curl');
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      ['-sS', '-D', '-', ...args],
      { cwd: options.cwd, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`curl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
          return;
        }
        resolve(parseCurlOutput(stdout));
      },
    );
  });
}

/** Splits `-D -` output into the last head and the body. */
export function parseCurlOutput(stdout: string): CurlAnswer {
  let rest = stdout;
  let head = '';
  // Heads come first, each ended by an empty line; the body follows the last one.
  while (/^HTTP\/[\d.]+ \d{3}/.test(rest)) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    head = rest.slice(0, end);
    rest = rest.slice(end + 4);
  }
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(/ (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, body: rest };
}

/** Runs a shell command line exactly as written (bash -c), in `cwd`; resolves with its stdout. */
export function runShell(
  line: string,
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', line], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
