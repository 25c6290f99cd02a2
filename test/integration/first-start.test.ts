/**
 * The first minutes of a new user, with `restream serve` as a real process: what the start prints
 * (where the dashboard is, what to paste into OBS, where the key is, never the key itself), and a
 * second server on ports already taken saying which port and which setting moves it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { withTimeout } from '../helpers/process.js';
import { processPassword, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { makeTempDir } from '../helpers/tmp.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const runCli = fileURLToPath(new URL('../helpers/run-cli.ts', import.meta.url));

/** Runs `restream serve` with `env` until it exits by itself; its exit code and everything it wrote. */
async function serveUntilExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', runCli, 'serve'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      RTMP_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
      DATA_DIR: makeTempDir('restream-busy'),
      RESTREAM_ADMIN_PASSWORD: processPassword,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await withTimeout(
    new Promise<number | null>((resolve) => child.once('exit', resolve)),
    30_000,
    'the second server to give up',
  ).finally(() => child.kill('SIGKILL'));
  return { code, output };
}

describe('restream serve, as a new user meets it', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('prints the dashboard URL, the OBS server URL and where the stream key is, never the key', async () => {
    server = await startServerProcess();
    const output = server.output();
    const http = new URL(server.httpBase).port;
    expect(output).toContain(`Dashboard:       http://127.0.0.1:${http}/`);
    expect(output).toContain(`OBS server URL:  ${server.ingestBase}`);
    expect(output).toMatch(/OBS stream key: .*"OBS setup" page/);
    expect(output).not.toContain(server.ingestKey);
  });

  it('says which port is taken and names RTMP_PORT or HTTP_PORT, without a stack trace', async () => {
    server = await startServerProcess();
    const rtmp = new URL(server.ingestBase).port;
    const http = new URL(server.httpBase).port;

    const rtmpBusy = await serveUntilExit({ RTMP_PORT: rtmp, HTTP_PORT: '0' });
    expect(rtmpBusy.code).toBe(1);
    expect(rtmpBusy.output).toContain(`port ${rtmp} is already in use`);
    expect(rtmpBusy.output).toContain('RTMP_PORT');
    expect(rtmpBusy.output).not.toMatch(/\n\s+at /);

    const httpBusy = await serveUntilExit({ RTMP_PORT: '0', HTTP_PORT: http });
    expect(httpBusy.code).toBe(1);
    expect(httpBusy.output).toContain(`port ${http} is already in use`);
    expect(httpBusy.output).toContain('HTTP_PORT');
    expect(httpBusy.output).not.toMatch(/\n\s+at /);
    // The first server never noticed.
    expect((await server.api('GET', '/api/status')).status).toBe(200);
  });
});
