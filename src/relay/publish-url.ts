/**
 * The URL an output publishes to, composed the way OBS does: server URL + '/' + stream key. A query
 * string on the server URL (YouTube's `?backup=1`) stays at the end, after the key; a key that carries
 * its own query (Twitch's `?bandwidthtest=true`) keeps it.
 */
export function publishUrl(serverUrl: string, streamKey: string): string {
  const queryAt = serverUrl.indexOf('?');
  const base = (queryAt === -1 ? serverUrl : serverUrl.slice(0, queryAt)).replace(/\/+$/, '');
  const serverQuery = queryAt === -1 ? '' : serverUrl.slice(queryAt + 1);
  const key = streamKey.replace(/^\/+/, '');
  if (key === '') return serverUrl;
  const keyQueryAt = key.indexOf('?');
  const keyPath = keyQueryAt === -1 ? key : key.slice(0, keyQueryAt);
  const queries = [keyQueryAt === -1 ? '' : key.slice(keyQueryAt + 1), serverQuery].filter((q) => q !== '');
  return `${base}/${encodeURIComponent(keyPath)}${queries.length > 0 ? `?${queries.join('&')}` : ''}`;
}
