import { describe, expect, it } from 'vitest';
import { publishTarget, publishUrl } from '../../../src/relay/publish-url.js';
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

  it("sends YouTube's backup query on the app and tcUrl, as OBS does, and a key's own query on the stream name", () => {
    expect(publishTarget('rtmps://b.rtmps.youtube.com:443/live2?backup=1', 'abcd-efgh')).toEqual({
      app: 'live2?backup=1',
      tcUrl: 'rtmps://b.rtmps.youtube.com:443/live2?backup=1',
      streamName: 'abcd-efgh',
    });
    expect(publishTarget('rtmp://live.twitch.tv/app/', 'live_1?bandwidthtest=true')).toEqual({
      app: 'app',
      tcUrl: 'rtmp://live.twitch.tv/app',
      streamName: 'live_1?bandwidthtest=true',
    });
    expect(publishTarget('rtmp://host/a?x=1', 'k?y=2')).toEqual({
      app: 'a?x=1',
      tcUrl: 'rtmp://host/a?x=1',
      streamName: 'k?y=2',
    });
    // The dialled URL still carries both queries (logs mask the key).
    expect(publishUrl('rtmps://b.rtmps.youtube.com:443/live2?backup=1', 'abcd')).toBe(
      'rtmps://b.rtmps.youtube.com:443/live2/abcd?backup=1',
    );
  });

  it.each([
    ['rtmp://live.twitch.tv/app', 'live_123_abc'],
    ['rtmps://live-api-s.facebook.com:443/rtmp/', 'FB-1-2?s_bl=1&a=x'],
    ['rtmp://host/app/inst', 'key'],
  ])('without a server query, %s + %s is what the URL alone says', (server, key) => {
    expect(publishTarget(server, key)).toEqual(publishTargetOf(new URL(publishUrl(server, key))));
  });

  it('masks the key in a URL for logs', () => {
    expect(maskUrlKey('rtmp://live.twitch.tv/app/live_123456789')).toBe('rtmp://live.twitch.tv/app/****6789');
    expect(maskUrlKey('rtmp://host/app/key?x=1')).not.toContain('key?');
  });
});
