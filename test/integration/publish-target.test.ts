/**
 * What a real RTMP server is told when we publish: nginx-rtmp's on_publish hook reports the app, tcUrl,
 * stream name and its query (`args`) exactly as it parsed them from our `connect` and `publish`.
 */
import { describe, expect, it } from 'vitest';
import { publishTestStream } from '../helpers/ffmpeg.js';
import { startHookServer } from '../helpers/hook-server.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'nginx');

describe.skipIf(missing !== '')(`publish target ${missing}`, () => {
  it("sends YouTube's ?backup=1 on the app and tcUrl as OBS does, not on the stream name", async () => {
    const hook = await startHookServer(200);
    const nginx = await startNginxRtmp({ apps: [{ name: 'live2', onPublish: hook.url('/on_publish') }] });
    const test = await startTestServer();
    const server = `rtmp://127.0.0.1:${nginx.port}/live2?backup=1`;
    await test.api('POST', '/api/platforms', {
      name: 'YouTube backup',
      url: server,
      streamKey: 'yt-key-1234',
    });
    const publisher = publishTestStream({ url: `${test.ingestBase}/${test.ingestKey}`, seconds: 20 });
    await waitFor(() => hook.requests.some((r) => r.form['call'] === 'publish'), {
      what: 'nginx on_publish',
      timeoutMs: 20_000,
    });
    const publish = hook.requests.find((r) => r.form['call'] === 'publish')!.form;
    expect(publish['app']).toBe('live2');
    expect(publish['tcurl']).toBe(`rtmp://127.0.0.1:${nginx.port}/live2?backup=1`);
    expect(publish['name']).toBe('yt-key-1234');
    // The stream name carried no query: nginx found no publish arguments.
    expect(publish['args'] ?? '').toBe('');
    await publisher.kill();
    await nginx.stop();
  });
});
