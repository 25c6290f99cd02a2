/**
 * The README's curl lines, run exactly as written against a real server, in order: log in (the cookie
 * jar), add a platform with the cookie, upload a fallback. Only what a reader must change is changed:
 * the port (8080 is not free in a test) and the password placeholder. Each must get a JSON answer that
 * is not an error.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runShell } from '../helpers/curl.js';
import { missingPeers } from '../helpers/programs.js';
import { startTestServer, testPassword } from '../helpers/server.js';
import { makeTempDir } from '../helpers/tmp.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** Every command in the README's ```sh blocks that runs curl, continuation lines joined. */
function readmeCurlLines(text: string): string[] {
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const inline = [...text.matchAll(/`(curl [^`]+)`/g)].map((m) => m[1] ?? '');
  const commands = blocks.flatMap((block) => block.replace(/\\\n\s*/g, ' ').split('\n'));
  return [...commands, ...inline].map((c) => c.trim()).filter((c) => c.startsWith('curl '));
}

const missing = missingPeers('ffprobe', 'curl');

describe.skipIf(missing !== '')(`the README's curl examples ${missing}`, () => {
  it('work exactly as written', async () => {
    const lines = readmeCurlLines(readme);
    // Login first, then what needs the cookie: the order they appear in.
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines[0]).toContain('/api/auth/login');
    const test = await startTestServer();
    const cwd = makeTempDir('readme');
    copyFileSync(
      fileURLToPath(new URL('../fixtures/media/avc1-high-640x360-mp4a.src.mp4', import.meta.url)),
      join(cwd, 'brb.mp4'),
    );
    for (const written of lines) {
      const line = written
        .replaceAll('localhost:8080', `localhost:${test.server.ports.http}`)
        .replace('{"password":"…"}', JSON.stringify({ password: testPassword }));
      const run = await runShell(line, cwd);
      expect(run.code, `${written}\n${run.stderr}`).toBe(0);
      const answer = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(answer, written).not.toHaveProperty('error');
    }
    // What they did is there.
    const platforms = await test.api<{ name: string }[]>('GET', '/api/platforms');
    expect(platforms.body.map((p) => p.name)).toContain('Twitch');
  });
});
