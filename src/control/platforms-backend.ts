import type { PlatformInput, PlatformPatch } from '../contract/index.js';
import { findPreset, presetIds } from '../relay/presets.js';
import { defaultChannel, type Destination, type NewDestination } from '../store/index.js';
import { uniqueName } from './channel-input.js';
import { ControlPlaneError, type SharedBackend } from './shared-backend.js';

/** Keys shorter than this are not looked for in the URL: too likely to match by chance (`live` in `/live2`). */
const minKeyCharsToFind = 8;

/**
 * Platform URLs: rtmp:// or rtmps:// with a host, as the relay will parse them. The URL is shown whole in
 * the API, the dashboard and logs, so it must not carry a secret: no user:password, and not the stream
 * key (pasted into both fields, it would also be published to the wrong stream name).
 */
function checkUrl(url: string, streamKey?: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ControlPlaneError('VALIDATION', 'url is not a valid URL', 'url');
  }
  if (parsed.protocol !== 'rtmp:' && parsed.protocol !== 'rtmps:') {
    throw new ControlPlaneError('VALIDATION', 'url must start with rtmp:// or rtmps://', 'url');
  }
  if (parsed.hostname === '') throw new ControlPlaneError('VALIDATION', 'url must name a host', 'url');
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ControlPlaneError('VALIDATION', 'url must not contain a user name or password', 'url');
  }
  if (streamKey !== undefined && streamKey.length >= minKeyCharsToFind) {
    const rest = `${parsed.pathname}${parsed.search}`;
    if (rest.includes(streamKey) || rest.includes(encodeURIComponent(streamKey))) {
      throw new ControlPlaneError(
        'VALIDATION',
        'url must not contain the stream key: put the server URL in url and the key in streamKey',
        'url',
      );
    }
  }
}

/** Port a URL reaches: its own, or its scheme's default (RTMP 1935, RTMPS 443). */
function endpointOf(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'rtmps:' ? '443' : '1935');
  return `${parsed.hostname.toLowerCase()}:${port}`;
}

/**
 * A stored key goes only where it was given for: a new URL on another host (or port) must come with
 * the key in the same request, or a caller who may edit platforms could send the key to a server of
 * their own (`url: rtmp://attacker/app`) without ever having seen it.
 */
function checkKeyFollowsUrl(before: string, after: string, streamKey: string | undefined): void {
  if (streamKey !== undefined || endpointOf(before) === endpointOf(after)) return;
  throw new ControlPlaneError(
    'VALIDATION',
    'streamKey is required when url moves to another host: the stored key is never sent to a new host',
    'streamKey',
  );
}

/** A preset id the relay knows, or VALIDATION naming `preset` with the ids there are. */
function checkPreset(id: string): NonNullable<ReturnType<typeof findPreset>> {
  const preset = findPreset(id);
  if (!preset) {
    throw new ControlPlaneError('VALIDATION', `preset must be one of ${presetIds.join(', ')}`, 'preset');
  }
  return preset;
}

/** Platforms (the store's destinations): every change is saved, then applied by the engine at once. */
export class PlatformsBackend {
  readonly #shared: SharedBackend;

  constructor(shared: SharedBackend) {
    this.#shared = shared;
  }

  readonly list = (channelId?: string): Destination[] => {
    if (channelId !== undefined) this.#shared.store.channels.get(channelId);
    return this.#shared.store.destinations.list(channelId);
  };

  readonly get = (id: string): Destination => this.#shared.store.destinations.get(id);

  readonly create = (input: PlatformInput): Destination => {
    const store = this.#shared.store;
    const preset = input.preset === undefined ? undefined : checkPreset(input.preset);
    const channelId = input.channelId ?? this.#defaultChannelId();
    if (input.name === undefined && !preset) {
      throw new ControlPlaneError('VALIDATION', 'name is required (or give a preset)', 'name');
    }
    // A preset's URL unless one is given (Kick shows each streamer theirs; tests point at a local sink).
    const url = input.url ?? preset?.urls[0]?.url;
    if (url === undefined) {
      const why = preset ? `the ${preset.name} preset has no URL: url is required` : 'url is required';
      throw new ControlPlaneError('VALIDATION', preset ? why : `${why} (or give a preset)`, 'url');
    }
    checkUrl(url, input.streamKey);
    const taken = () => store.destinations.list(channelId).map((d) => d.name);
    const fields: NewDestination = {
      channelId,
      name: input.name ?? uniqueName(preset?.name ?? 'Platform', taken()),
      url,
      streamKey: input.streamKey,
    };
    if (input.enabled !== undefined) fields.enabled = input.enabled;
    if (preset) fields.preset = preset.id;
    const created = store.destinations.create(fields);
    this.#shared.notify('destinationsChanged', created.channelId);
    return created;
  };

  readonly update = (id: string, patch: PlatformPatch): Destination => {
    if (patch.url !== undefined) {
      checkUrl(patch.url, patch.streamKey);
      checkKeyFollowsUrl(this.#shared.store.destinations.get(id).url, patch.url, patch.streamKey);
    }
    if (typeof patch.preset === 'string') checkPreset(patch.preset);
    const { before, after } = this.#shared.store.destinations.update(id, patch);
    this.#shared.notify('destinationsChanged', after.channelId);
    // Moved to another channel: the old one must drop its output too.
    if (before.channelId !== after.channelId) this.#shared.notify('destinationsChanged', before.channelId);
    return after;
  };

  readonly remove = (id: string): void => {
    const removed = this.#shared.store.destinations.remove(id);
    this.#shared.notify('destinationsChanged', removed.channelId);
  };

  /** Platforms without a channelId go to `main`, or, once it is deleted, to the oldest channel. */
  #defaultChannelId(): string {
    const store = this.#shared.store;
    if (store.channels.find(defaultChannel.id)) return defaultChannel.id;
    return store.channels.list()[0]?.id ?? defaultChannel.id;
  }
}
