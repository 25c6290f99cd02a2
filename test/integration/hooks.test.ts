/**
 * Behind an existing nginx-rtmp (or SRS): its on_publish hook asks us about the stream key, we pull the
 * stream from it and restream it; on_publish_done ends it. A real nginx-rtmp makes the calls.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenReceiver, publishTestStream } from '../helpers/ffmpeg.js';
import { checkTimeline, probePackets } from '../helpers/ffprobe.js';
import { startNginxRtmp } from '../helpers/nginx-rtmp.js';
import { waitFor } from '../helpers/process.js';
import { missingPeers } from '../helpers/programs.js';
import { makeTempDir } from '../helpers/tmp.js';
import { addReceiverPlatform, mainChannel, outputsByName, startTestServer } from '../helpers/server.js';

const missing = missingPeers('ffmpeg', 'ffprobe', 'nginx');

describe.skipIf(missing !== '')(`SRS / nginx-rtmp hooks ${missing}`, () => {
  it('authenticates nginx-rtmp publishers by channel key, pulls and restreams them, and ends on publish_done', async () => {
    const file = path.join(makeTempDir('receiver'), 'got.flv');
    const receiver = await listenReceiver({ outFile: file });
    const test = await startTestServer({ env: { HOOK_SECRET: 'hook-secret-1' } });
    await addReceiverPlatform(test, receiver.port);
    const hook = (name: string) => `${test.httpBase}/api/${name}?secret=hook-secret-1`;
    const nginx = await startNginxRtmp({
      apps: [
        {
          name: 'live',
          onPublish: hook('on_publish'),
          directives: [`on_publish_done ${hook('on_unpublish')};`],
        },
      ],
    });

    // A publisher with a wrong key is refused by nginx on our word.
    const intruder = publishTestStream({ url: nginx.url('live', 'not-a-channel-key'), seconds: 5 });
    expect((await intruder.waitForExit(15_000)).code).not.toBe(0);

    const publisher = publishTestStream({ url: nginx.url('live', test.ingestKey), seconds: 6 });
    await waitFor(async () => (await mainChannel(test)).source === 'live', {
      what: 'the pulled stream on air',
      timeoutMs: 20_000,
    });
    await waitFor(async () => (await outputsByName(test)).get('rx')?.state === 'live', { what: 'rx live' });
    expect((await publisher.waitForExit(30_000)).code).toBe(0);
    // nginx's on_publish_done: a deliberate stop (the test server ends at once on one).
    await receiver.waitForExit(20_000);
    const video = checkTimeline((await probePackets(file)).video);
    expect(video.monotonic).toBe(true);
    expect(video.count).toBeGreaterThan(90);
    await nginx.stop();
  });

  it('answers SRS in its own terms and refuses callers without the secret', async () => {
    const nginx = await startNginxRtmp({ apps: [{ name: 'live' }] });
    const test = await startTestServer({ env: { HOOK_SECRET: 'hook-secret-2' } });
    const srsBody = (stream: string) => ({
      action: 'on_publish',
      client_id: 'k8s7',
      ip: '192.0.2.10',
      vhost: '__defaultVhost__',
      app: 'live',
      stream,
      param: '',
      tcUrl: `rtmp://127.0.0.1:${nginx.port}/live`,
    });
    const post = (secret: string, body: unknown) =>
      fetch(`${test.httpBase}/api/on_publish?secret=${secret}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const allowed = await post('hook-secret-2', srsBody(test.ingestKey));
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ code: 0 });
    const denied = await post('hook-secret-2', srsBody('wrong'));
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { code: number }).code).not.toBe(0);
    // A caller from another machine needs the secret (loopback callers are trusted).
    const remote = (secret: string) =>
      test.server.api.inject({
        method: 'POST',
        url: `/api/on_publish?secret=${secret}`,
        remoteAddress: '192.0.2.10',
        payload: srsBody(test.ingestKey),
      });
    expect((await remote('wrong-secret')).statusCode).toBe(403);
    expect((await remote('hook-secret-2')).statusCode).toBe(200);
    const unpublish = await fetch(`${test.httpBase}/api/on_unpublish?secret=hook-secret-2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...srsBody(test.ingestKey), action: 'on_unpublish' }),
    });
    expect(unpublish.status).toBe(200);
    const garbage = await post('hook-secret-2', { hello: 'world' });
    expect(garbage.status).toBe(400);
    await nginx.stop();
  });
});
