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
import { publishFlvLoop } from '../helpers/flv-publisher.js';
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

/** The parts of a `<video>` the test reads (this tsconfig has no DOM types). */
interface VideoLike {
  videoWidth: number;
  videoHeight: number;
  currentTime: number;
  muted: boolean;
  buffered: { length: number; end(index: number): number };
}

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

    /**
     * The player's clock moves on (3 s of playback) at the stream's 640×360. Logs how far behind
     * the newest received frame it plays, for the README (timings are not asserted).
     */
    const expectPlaying = async (video: Locator, when: string): Promise<void> => {
      await expect
        .poll(() => video.evaluate((v: VideoLike) => [v.videoWidth, v.videoHeight]), {
          timeout: uiTimeoutMs,
          message: `preview size (${when})`,
        })
        .toEqual([640, 360]);
      const start = await video.evaluate((v: VideoLike) => v.currentTime);
      await expect
        .poll(() => video.evaluate((v: VideoLike) => v.currentTime), {
          timeout: uiTimeoutMs,
          message: `preview playing (${when})`,
        })
        .toBeGreaterThan(start + 3);
      const behind = await video.evaluate((v: VideoLike) =>
        v.buffered.length ? v.buffered.end(v.buffered.length - 1) - v.currentTime : NaN,
      );
      timings.push(`preview ${when}: ${behind.toFixed(2)} s behind the newest frame`);
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

    it('turns recording on from the Recordings page (stored with the channel)', async () => {
      await goTo('Recordings');
      await page.getByText('No recordings yet').waitFor();
      const toggle = page.getByRole('switch', { name: 'Record every broadcast' });
      expect(await toggle.getAttribute('aria-checked')).toBe('false');
      await toggle.click();
      await expect
        .poll(
          async () => (await server.api<{ recording: boolean }>('GET', '/api/channels/main')).body.recording,
        )
        .toBe(true);
      await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    });

    it('shows STARTING while OBS is connected with no frame sent yet, and OFF AIR when it leaves', async () => {
      await goTo('Dashboard');
      const silent = publishFlvLoop(
        `${server.ingestBase}/${server.ingestKey}`,
        'h264-main-426x240-aac48-mono.flv',
        {
          silentForMs: 10 * 60_000,
        },
      );
      await silent.publishing;
      const banner = page.getByTestId('channel-state');
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('starting');
      await banner.getByText('OBS is connected and has not sent its first frame yet.').waitFor();
      expect(await page.getByTestId('brand-dot').getAttribute('data-state')).toBe('off');
      silent.stop(false);
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('off');
      lap('starting on the dashboard');
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
      // The logo's dot is a tally light: red on air only.
      await expect.poll(() => page.getByTestId('brand-dot').getAttribute('data-state')).toBe('live');
      lap('live on the dashboard');

      // The preview plays what the platforms get, at the stream's size, muted until unmuted.
      const preview = page.getByTestId('preview-video');
      await expectPlaying(preview, 'live');
      expect(await preview.evaluate((v: VideoLike) => v.muted)).toBe(true);
      // This page is the one viewer (the recorder reads the program too, but is not a viewer).
      await page.getByRole('region', { name: 'Preview' }).getByText('· 1 viewer').waitFor();
      mkdirSync(docsDir, { recursive: true });
      await page
        .getByRole('region', { name: 'Preview' })
        .screenshot({ path: join(docsDir, 'preview.png'), animations: 'disabled' });
      lap('preview playing');

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
      // A fresh load draws the last minutes at once (served with the status), not an empty chart.
      const inputChart = phonePage.getByRole('img', { name: 'Input bitrate over the last five minutes' });
      await expect
        .poll(async () => Number(await inputChart.getAttribute('data-points')))
        .toBeGreaterThanOrEqual(10);
      await phonePage.waitForTimeout(2500);
      await screenshot('dashboard-phone.png', phonePage);
      await phone.close();

      await publisher.kill();
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('fallback');
      expect(await page.getByTestId('fallback-reason').textContent()).toBe('OBS connection dropped');
      expect(await banner.textContent()).toMatch(/ends by itself in \d+m/);
      await expect.poll(() => page.getByTestId('brand-dot').getAttribute('data-state')).toBe('fallback');
      // The preview goes on through the drop, now showing the fallback, without a reload.
      await expectPlaying(preview, 'fallback');

      // OBS returns: live again, and the preview still plays.
      const back = publishTestStream({ url: `${server.ingestBase}/${server.ingestKey}` });
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('live');
      await expectPlaying(preview, 'live again');
      await page.getByRole('button', { name: 'Unmute' }).click();
      expect(await preview.evaluate((v: VideoLike) => v.muted)).toBe(false);
      await back.kill();
      await expect.poll(() => banner.getAttribute('data-state'), { timeout: uiTimeoutMs }).toBe('fallback');
      lap('preview through a drop and a return');
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
      expect(await page.getByTestId('brand-dot').getAttribute('data-state')).toBe('off');
      lap('ended');
    });

    it('lists the broadcast as one recording that plays in the page, downloads, and deletes', async () => {
      await goTo('Recordings');
      const row = page.getByTestId('recording-row');
      await expect.poll(() => row.count(), { timeout: uiTimeoutMs }).toBe(1);
      await row.getByText('Done').waitFor({ timeout: uiTimeoutMs });
      await row.getByRole('button', { name: 'Play' }).click();
      const video = page.getByTestId('recording-video');
      await expect
        .poll(() => video.evaluate((v: VideoLike) => [v.videoWidth, v.videoHeight]), { timeout: uiTimeoutMs })
        .toEqual([640, 360]);
      await expect
        .poll(() => video.evaluate((v: VideoLike) => v.currentTime), { timeout: uiTimeoutMs })
        .toBeGreaterThan(1);
      await video.evaluate((v: VideoLike & { pause(): void }) => {
        v.pause();
      });
      await screenshot('recordings.png');
      // The download link serves the file as an attachment (with the page's own session cookie).
      const href = await row.getByRole('link', { name: 'Download' }).getAttribute('href');
      const download = await page.request.get(`${server.httpBase}${href!}`);
      expect(download.status()).toBe(200);
      expect(download.headers()['content-disposition']).toMatch(/^attachment; filename=".+\.mp4"$/);
      expect((await download.body()).length).toBeGreaterThan(100_000);
      // Deleted after asking; the file goes with it.
      await row.getByRole('button', { name: 'Delete' }).click();
      await page
        .getByRole('dialog', { name: 'Delete this recording?' })
        .getByRole('button', { name: 'Delete' })
        .click();
      await page.getByText('No recordings yet').waitFor();
      expect((await server.api<unknown[]>('GET', '/api/recordings')).body).toEqual([]);
      lap('recordings page');
    });

    it('fits a 390 px phone on every page after the window narrows from a desktop', async () => {
      for (const tab of ['Dashboard', 'Platforms', 'Fallback', 'Recordings', 'OBS setup', 'Settings']) {
        await page.setViewportSize({ width: 1280, height: 860 });
        await goTo(tab);
        await page.getByRole('heading', { level: 1 }).first().waitFor({ state: 'attached' });
        // Charts draw at the desktop width first; the narrowing is what must not leave them wide.
        await page.waitForTimeout(500);
        await page.setViewportSize({ width: 390, height: 844 });
        await expect
          .poll(() => page.evaluate<number>('document.documentElement.scrollWidth'), { message: tab })
          .toBeLessThanOrEqual(390);
      }
      await page.setViewportSize({ width: 1280, height: 860 });
      lap('every page fits 390 px');
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
