import { describe, expect, it } from 'vitest';
import { publishUrl } from '../../../src/relay/publish-url.js';
import { publishTargetOf } from '../../../src/rtmp/client-session.js';
import { maskUrlKey } from '../../../src/shared/logger.js';

describe('publish URLs, composed as OBS does', () => {
  it.each([
    [
      'rtmp://live.twitch.tv/app',
      'live_123_abc',
      'rtmp://live.twitch.tv/app/live_123_abc',
      'app',
      'live_123_abc',
    ],
    [
      'rtmp://live.twitch.tv/app/',
      'live_1?bandwidthtest=true',
      'rtmp://live.twitch.tv/app/live_1?bandwidthtest=true',
      'app',
      'live_1?bandwidthtest=true',
    ],
    [
      'rtmps://a.rtmps.youtube.com:443/live2',
      'abcd-efgh',
      'rtmps://a.rtmps.youtube.com:443/live2/abcd-efgh',
      'live2',
      'abcd-efgh',
    ],
    [
      'rtmp://b.rtmp.youtube.com/live2?backup=1',
      'abcd',
      'rtmp://b.rtmp.youtube.com/live2/abcd?backup=1',
      'live2',
      'abcd?backup=1',
    ],
    [
      'rtmps://live-api-s.facebook.com:443/rtmp/',
      'FB-1-2?s_bl=1&a=x',
      'rtmps://live-api-s.facebook.com:443/rtmp/FB-1-2?s_bl=1&a=x',
      'rtmp',
      'FB-1-2?s_bl=1&a=x',
    ],
    ['rtmp://host/app/inst', 'key', 'rtmp://host/app/inst/key', 'app/inst', 'key'],
  ])('%s + %s', (server, key, url, app, streamName) => {
    expect(publishUrl(server, key)).toBe(url);
    const target = publishTargetOf(new URL(url));
    expect(target.app).toBe(app);
    expect(target.streamName).toBe(streamName);
    expect(target.tcUrl).toBe(`${new URL(url).protocol}//${new URL(url).host}/${app}`);
  });

  it('masks the key in a URL for logs', () => {
    expect(maskUrlKey('rtmp://live.twitch.tv/app/live_123456789')).toBe('rtmp://live.twitch.tv/app/****6789');
    expect(maskUrlKey('rtmp://host/app/key?x=1')).not.toContain('key?');
  });
});
