import type { PublishTarget } from '../rtmp/index.js';

/**
 * The URL an output publishes to, composed the way OBS does: server URL + '/' + stream key. A query
 * string on the server URL (YouTube's `?backup=1`) stays at the end, after the key; a key that carries
 * its own query (Twitch's `?bandwidthtest=true`) keeps it. This URL is what is dialled and (masked)
 * logged; what goes into `connect` and `publish` is {@link publishTarget}.
 */
export function publishUrl(serverUrl: string, streamKey: string): string {
  const { base, serverQuery, keyPath, keyQuery } = split(serverUrl, streamKey);
  if (keyPath === '' && keyQuery === '') return serverUrl;
  const queries = [keyQuery, serverQuery].filter((q) => q !== '');
  return `${base}/${encodeURIComponent(keyPath)}${queries.length > 0 ? `?${queries.join('&')}` : ''}`;
}

/**
 * What OBS sends for a server URL and a key (librtmp's RTMP_ParseURL): the server URL's query belongs to
 * the app and the tcUrl (`app: 'live2?backup=1'`, `tcUrl: 'rtmps://b…/live2?backup=1'`), and the stream
 * name is the key with its own query only. YouTube reads `backup=1` from the connect, so a backup ingest
 * given it on the stream name is taken for a second primary. Undefined for a URL that does not parse
 * (the output reports it).
 */
export function publishTarget(serverUrl: string, streamKey: string): PublishTarget | undefined {
  const { base, serverQuery, keyPath, keyQuery } = split(serverUrl, streamKey);
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return undefined;
  }
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  // A server URL without a key field (the whole thing pasted as the URL): its last segment is the key.
  const key = keyPath === '' ? decodeURIComponent(segments.pop() ?? '') : keyPath;
  const query = serverQuery === '' ? '' : `?${serverQuery}`;
  const app = `${segments.join('/')}${query}`;
  return {
    app,
    streamName: `${key}${keyQuery === '' ? '' : `?${keyQuery}`}`,
    tcUrl: `${url.protocol}//${url.host}/${app}`,
  };
}

function split(
  serverUrl: string,
  streamKey: string,
): { base: string; serverQuery: string; keyPath: string; keyQuery: string } {
  const queryAt = serverUrl.indexOf('?');
  const base = (queryAt === -1 ? serverUrl : serverUrl.slice(0, queryAt)).replace(/\/+$/, '');
  const serverQuery = queryAt === -1 ? '' : serverUrl.slice(queryAt + 1);
  const key = streamKey.replace(/^\/+/, '');
  const keyQueryAt = key.indexOf('?');
  return {
    base,
    serverQuery,
    keyPath: keyQueryAt === -1 ? key : key.slice(0, keyQueryAt),
    keyQuery: keyQueryAt === -1 ? '' : key.slice(keyQueryAt + 1),
  };
}
