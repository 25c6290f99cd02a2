/**
 * The dashboard as a streamer uses it, in headless Chromium against the real server: log in, add
 * platforms from presets (and see the API's complaints beside the fields), upload a fallback video,
 * go live with ffmpeg as OBS into a real nginx-rtmp "platform", drop OBS and see the fallback with its
 * reason. The screenshots in docs/ (shown in the README) are taken along the way.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { peersSkipReason, requireProgram } from '../helpers/programs.js';
import { startTestServer, testPassword, type TestServer } from '../helpers/server.js';
import { makeTempDir } from '../helpers/tmp.js';
import { browserSkipReason, ensureWebBuilt, launchChromium } from './web-build.js';

/**
 * Screenshots are always taken (a page that cannot be drawn fails here); they replace the README's
 * pictures in docs/ only with UPDATE_SCREENSHOTS=1, so a plain test run leaves the work tree alone.
 */
const docsDir =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? fileURLToPath(new URL('../../docs/', import.meta.url))
    : makeTempDir('e2e-screenshots', 'process');
const skipReason = [peersSkipReason('ffmpeg', 'ffprobe', 'nginx'), browserSkipReason()]
  .filter(Boolean)
  .join('; ');

/** How long the page may take to show what the server did (events arrive within a second). */
const uiTimeoutMs = 20_000;

interface PlatformView {
  id: string;
  name: string;
  enabled: boolean;
  streamKeyMasked: string;
}

describe.skipIf(skipReason !== '')(
  `dashboard in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let server: TestServer;
    let nginx: NginxRtmp;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let clip: string;
    const timings: string[] = [];
    /** What the browser refused under the server's Content-Security-Policy, on any page. */
    const cspViolations: string[] = [];
    const cleanups: (() => Promise<unknown>)[] = [];
    const started = Date.now();

    const lap = (what: string): void => {
      timings.push(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    };

    /** The form field (label, control, error) labelled `label`. */
    const field = (label: string, scope: Page | Locator = page): Locator =>
      scope.locator('.field').filter({ has: page.getByLabel(label, { exact: true }) });

    const screenshot = async (name: string, target: Page = page): Promise<void> => {
      mkdirSync(docsDir, { recursive: true });
      // Let charts and transitions settle, and keep the caret out of the picture.
      await target.evaluate('document.activeElement?.blur()');
      await target.waitForTimeout(400);
      await target.screenshot({ path: join(docsDir, name), fullPage: true, animations: 'disabled' });
    };

    const goTo = async (tab: string): Promise<void> => {
      await page
        .getByRole('navigation', { name: 'Sections' })
        .getByRole('link', { name: tab, exact: true })
        .click();
    };

    beforeAll(async () => {
      ensureWebBuilt();
      lap('web build checked');
      nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
      server = await startTestServer();
      // A 4 s clip with sound, as a streamer's "be right back" video.
      const dir = makeTempDir('e2e-clip', 'process');
      clip = join(dir, 'brb-loop.mp4');
      // prettier-ignore
      execFileSync(requireProgram('ffmpeg', 'ffmpeg'), [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=4',
      '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000:duration=4',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip,
    ]);
      browser = await launchChromium();
      cleanups.push(() => browser.close());
      context = await browser.newContext({ viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
      page = await context.newPage();
      page.setDefaultTimeout(uiTimeoutMs);
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
          cspViolations.push(message.text());
      });
      lap('server, nginx, clip and browser up');
    });

    afterAll(async () => {
      // What beforeAll started (all of it, or as far as it got), last first.
      for (const cleanup of cleanups.reverse()) await cleanup();
      console.log(`dashboard e2e timings:\n  ${timings.join('\n  ')}`);
    });

    it('serves the built dashboard: index.html for its own paths, hashed assets cached for good', async () => {
      const index = await fetch(`${server.httpBase}/platforms`);
      expect(index.status).toBe(200);
      expect(index.headers.get('content-type')).toContain('text/html');
      expect(index.headers.get('cache-control')).toBe('no-cache');
      const html = await index.text();
      const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const script = await fetch(`${server.httpBase}${asset!}`);
      expect(script.status).toBe(200);
      expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      // A missing asset is a 404, not the page; unknown API paths keep their 401.
      expect((await fetch(`${server.httpBase}/assets/missing-abc.js`)).status).toBe(404);
      expect((await fetch(`${server.httpBase}/api/not-a-route`)).status).toBe(401);
    });

    it('logs in with the admin password (a wrong one is refused beside the field)', async () => {
      await page.goto(`${server.httpBase}/`);
      await page.getByLabel('Admin password').fill('not-the-password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect
        .poll(() => field('Admin password').locator('.field-error').textContent())
        .toContain('wrong password');

      await page.getByLabel('Admin password').fill(testPassword);
      await page.getByRole('button', { name: 'Log in' }).click();
      const banner = page.getByTestId('channel-state');
      await banner.waitFor();
      expect(await banner.getAttribute('data-state')).toBe('off');
      expect(await banner.textContent()).toContain('OFF AIR');
      lap('logged in');
    });

    it('shows the API’s errors beside the field they concern (empty key, bad URL)', async () => {
      await goTo('Platforms');
      await page.getByRole('radio', { name: 'Twitch' }).check();
      await page.getByRole('button', { name: 'Add platform' }).click();
      const keyError = field('Stream key').locator('.field-error');
      await keyError.waitFor();
      expect((await keyError.textContent())?.toLowerCase()).toContain('stream key');
      expect(await page.getByLabel('Stream key').getAttribute('aria-invalid')).toBe('true');

      await page.getByRole('radio', { name: 'Custom' }).check();
      await page.getByLabel('Stream key').fill('some-key');
      await page.getByLabel('Server URL').fill('http://example.invalid/live');
      await page.getByRole('button', { name: 'Add platform' }).click();
      const urlError = field('Server URL').locator('.field-error');
      await urlError.waitFor();
      expect(await urlError.textContent()).toContain('rtmp://');
      expect(await keyError.count()).toBe(0);
      // Nothing was added.
      expect((await server.api<PlatformView[]>('GET', '/api/platforms')).body).toEqual([]);
      lap('field errors');
    });

    it('adds platforms from presets, lists them with masked keys, and disables/enables one', async () => {
      const sink = `rtmp://127.0.0.1:${nginx.port}/live`;
      for (const [preset, key] of [
        ['Twitch', 'live_e2e_twitch_7f3a'],
        ['YouTube', 'e2e-youtube-key-9c21'],
      ] as const) {
        await page.getByRole('radio', { name: preset, exact: true }).check();
        await page.getByLabel('Stream key').fill(key);
        // The preset fills its recommended ingest; the test's "platform" is nginx-rtmp on loopback.
        expect(await page.getByLabel('Server URL').inputValue()).toMatch(/^rtmps?:\/\//);
        await page.getByLabel('Server URL').fill(sink);
        await page.getByRole('button', { name: 'Add platform' }).click();
        const row = page.getByTestId('platform-row').filter({ hasText: preset });
        await row.first().waitFor();
        expect(await row.first().getByTestId('masked-key').textContent()).toMatch(
          new RegExp(`\\*+${key.slice(-4)}$`),
        );
        // The key field is write-only: cleared after adding, and the whole key is nowhere on the page.
        expect(await page.getByLabel('Stream key').inputValue()).toBe('');
        expect(await page.content()).not.toContain(key);
      }

      const twitch = page.getByTestId('platform-row').filter({ hasText: 'Twitch' });
      const enabledOf = async (): Promise<boolean | undefined> =>
        (await server.api<PlatformView[]>('GET', '/api/platforms')).body.find((p) => p.name === 'Twitch')
          ?.enabled;
      const toggle = twitch.getByRole('switch', { name: 'Send to Twitch' });
      expect(await toggle.getAttribute('aria-checked')).toBe('true');
      await toggle.click();
      await expect.poll(enabledOf).toBe(false);
      await twitch.getByText('Disabled').waitFor();
      await toggle.click();
      await expect.poll(enabledOf).toBe(true);
      await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
      lap('platforms added, toggled');
    });

    it('uploads a fallback video: the transfer and the conform progress bars both complete', async () => {
      await goTo('Fallback');
      await page.getByLabel('Video file').setInputFiles(clip);
      await page.getByRole('button', { name: 'Upload' }).click();
      const upload = page.getByRole('progressbar', { name: 'Upload' });
      const conform = page.getByRole('progressbar', { name: 'Converting for the platforms' });
      await upload.waitFor();
      await expect.poll(() => upload.getAttribute('aria-valuenow'), { timeout: uiTimeoutMs }).toBe('100');
      await expect.poll(() => conform.getAttribute('aria-valuenow'), { timeout: 60_000 }).toBe('100');
      await page.getByText('Ready: this video plays whenever OBS drops.').waitFor();
      await page.getByTestId('fallback-original').getByText('brb-loop.mp4').waitFor();
      await page.getByTestId('renditions').locator('li').first().waitFor();
      await screenshot('fallback.png');
      lap('fallback uploaded and conformed');
    });

    it('shows LIVE and the platforms live while OBS publishes, then FALLBACK with the reason when it drops', async () => {
      await goTo('Dashboard');
      const publisher = publishTestStream({ url: `${server.ingestBase}/${server.ingestKey}` });
      const banner = page.getByTestId('channel-state');
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('live');
      for (const name of ['Twitch', 'YouTube']) {
        const card = page.getByTestId('platform-card').filter({ hasText: name });
        await expect.poll(() => card.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('live');
      }
      // The sink really got both streams.
      await waitFor(() => nginx.errorLog().includes("name='live_e2e_twitch_7f3a'"), {
        what: 'nginx to get Twitch',
      });
      await waitFor(() => nginx.errorLog().includes("name='e2e-youtube-key-9c21'"), {
        what: 'nginx to get YouTube',
      });
      await page.getByTestId('input-facts').getByText('640×360').waitFor();
      expect(await page.getByTestId('connection').getAttribute('data-connection')).toBe('live');
      lap('live on the dashboard');

      // A few seconds of bitrate history, so the graph in the screenshot shows something.
      await page.waitForTimeout(12_000);
      await screenshot('dashboard.png');
      const phone = await browser.newContext({
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 1,
        storageState: await context.storageState(),
      });
      const phonePage = await phone.newPage();
      await phonePage.goto(`${server.httpBase}/`);
      await phonePage.getByTestId('channel-state').filter({ hasText: 'LIVE' }).waitFor();
      await phonePage.waitForTimeout(2500);
      await screenshot('dashboard-phone.png', phonePage);
      await phone.close();

      await publisher.kill();
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('fallback');
      expect(await page.getByTestId('fallback-reason').textContent()).toBe('OBS connection dropped');
      expect(await banner.textContent()).toMatch(/ends by itself in \d+m/);
      // The platforms stayed connected through the drop.
      for (const name of ['Twitch', 'YouTube']) {
        expect(
          await page.getByTestId('platform-card').filter({ hasText: name }).getAttribute('data-state'),
        ).toBe('live');
      }
      lap('fallback on the dashboard');

      await page.getByRole('button', { name: 'End stream everywhere' }).click();
      const dialog = page.getByRole('dialog', { name: 'End the stream everywhere?' });
      await dialog.getByRole('button', { name: 'End stream everywhere' }).click();
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('off');
      lap('ended');
    });

    it('makes a read-only API token from Settings, which reads status and may change nothing', async () => {
      await goTo('Settings');
      await page.getByLabel('Token name').fill('grafana');
      await page.getByLabel('Scope').selectOption('read');
      await page.getByRole('button', { name: 'Create token' }).click();
      const token = (await page.locator('.secret-once code').textContent()) ?? '';
      expect(token).toMatch(/^rst_/);
      const read = (path: string, method = 'GET') =>
        fetch(`${server.httpBase}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      expect((await read('/api/status')).status).toBe(200);
      expect((await read('/api/channels/main/rotate-key', 'POST')).status).toBe(403);
      await page.getByRole('button', { name: 'Done' }).click();
      // Listed with its scope.
      await page
        .locator('.token-list li')
        .filter({ hasText: 'grafana' })
        .getByText('read', { exact: true })
        .waitFor();
      lap('token with a scope');
    });

    it('lists the platforms page (screenshot) and the OBS setup with the key hidden until revealed', async () => {
      await goTo('Platforms');
      await page.getByTestId('platform-row').nth(1).waitFor();
      await screenshot('platforms.png');

      await goTo('OBS setup');
      expect(await page.getByTestId('ingest-url').textContent()).toBe(server.ingestBase);
      const key = page.getByTestId('ingest-key');
      expect(await key.textContent()).not.toContain(server.ingestKey);
      await page.getByRole('button', { name: 'Reveal stream key' }).click();
      await expect.poll(() => key.textContent()).toBe(server.ingestKey);
      await page.getByRole('button', { name: 'Hide stream key' }).click();
      await expect.poll(() => key.textContent()).toMatch(/^•+$/);
      await screenshot('obs.png');

      await page.getByRole('button', { name: 'Rotate key…' }).click();
      await page
        .getByRole('dialog', { name: 'Make a new stream key?' })
        .getByRole('button', { name: 'Make a new key' })
        .click();
      // The page says so once the new key is made, and shows it unmasked for pasting into OBS. (The masked
      // text also differs from the old key, so waiting on "not the old key" alone would pass too early.)
      await page.getByText('New key made: paste it into OBS.').waitFor({ timeout: uiTimeoutMs });
      const rotated = (await server.api<{ id: string; streamKey: string }[]>('GET', '/api/channels')).body[0]
        ?.streamKey;
      expect(rotated).toMatch(/^[0-9a-f]{32}$/);
      expect(rotated).not.toBe(server.ingestKey);
      expect(await key.textContent()).toBe(rotated);
      lap('OBS page');

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByLabel('Admin password').waitFor();
    });

    it('breaks no rule of the Content-Security-Policy on any page it visited', () => {
      expect(cspViolations).toEqual([]);
    });
  },
);
