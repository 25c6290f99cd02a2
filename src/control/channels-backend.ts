import {
  defaultContinuitySettings,
  type ChannelAction,
  type ChannelActionDto,
  type ChannelDto,
  type ContinuitySettings,
} from '../contract/index.js';
import type { Channel, Destination, Store } from '../store/index.js';
import { channelIdPattern, settingsProblem, slugOf, uniqueId, type SettingsPatch } from './channel-input.js';
import { ControlPlaneError, type SharedBackend } from './shared-backend.js';

/** A channel as the API shows it. */
export type ChannelView = ChannelDto;

/** A channel with its platforms (the store's destinations: keys masked at the source). */
export interface ChannelDetailView extends ChannelView {
  platforms: Destination[];
}

/** Continuity settings within their ranges, or VALIDATION naming the field (`settings.stallTimeoutMs`). */
function checkSettings(settings: SettingsPatch | undefined): void {
  if (settings === undefined) return;
  const problem = settingsProblem(settings);
  if (problem) throw new ControlPlaneError('VALIDATION', problem.message, problem.field);
}

/** Channels: their ingest URL and keys, continuity settings and manual actions, applied by the engine at once. */
export class ChannelsBackend {
  readonly #shared: SharedBackend;
  readonly #rtmpPort: () => number;

  /** `rtmpPort`: port of the RTMP listener, for the ingest URL shown to OBS users. */
  constructor(shared: SharedBackend, rtmpPort: () => number) {
    this.#shared = shared;
    this.#rtmpPort = rtmpPort;
  }

  readonly list = (ingestHost: string): ChannelView[] => {
    const store = this.#shared.store;
    const counts = store.destinations.countByChannel();
    const ingestUrl = `rtmp://${ingestHost}:${this.#rtmpPort()}/live`;
    return store.channels.list().map((channel) => {
      const view: ChannelView = {
        id: channel.id,
        name: channel.name,
        ingestUrl,
        streamKey: channel.ingestKey,
        platformCount: counts.get(channel.id) ?? 0,
        settings: this.#settingsOf(channel),
      };
      if (channel.previewKey !== null) view.previewKey = channel.previewKey;
      return view;
    });
  };

  readonly get = (id: string, ingestHost: string): ChannelDetailView => {
    this.#shared.checkChannel(id, 'id');
    return this.#channelDetail(id, ingestHost);
  };

  readonly create = (
    input: { name: string; id?: string; settings?: SettingsPatch },
    ingestHost: string,
  ): ChannelDetailView => {
    const store = this.#shared.store;
    checkSettings(input.settings);
    let id = input.id;
    if (id !== undefined && !channelIdPattern.test(id)) {
      throw new ControlPlaneError('VALIDATION', 'id must be 1 to 32 of a-z, 0-9 and -', 'id');
    }
    id ??= uniqueId(slugOf(input.name), (candidate) => store.channels.find(candidate) !== undefined);
    const fields: Parameters<Store['channels']['create']>[0] = { id, name: input.name };
    if (input.settings) fields.settings = input.settings;
    const created = store.channels.create(fields);
    return this.#channelDetail(created.id, ingestHost);
  };

  readonly update = (
    id: string,
    patch: { name?: string; settings?: SettingsPatch },
    ingestHost: string,
  ): ChannelDetailView => {
    this.#shared.checkChannel(id, 'id');
    checkSettings(patch.settings);
    const fields: Parameters<Store['channels']['update']>[1] = {};
    if (patch.name !== undefined) fields.name = patch.name;
    if (patch.settings) fields.settings = patch.settings;
    this.#shared.store.channels.update(id, fields);
    // Saved first, so the engine reads the new values (and a restart keeps them).
    if (patch.settings) this.#shared.notify('channelSettingsChanged', id);
    return this.#channelDetail(id, ingestHost);
  };

  readonly remove = (id: string): void => {
    const shared = this.#shared;
    shared.checkChannel(id, 'id');
    // One transaction deletes the channel and (by cascade) its platforms, or refuses the last channel.
    shared.store.channels.remove(id);
    // The engine finds the channel gone and ends its broadcast cleanly at every platform.
    shared.notify('channelKeysChanged', id);
    try {
      shared.fallback.remove(id);
    } catch (err) {
      shared.logger.warn({ err, channelId: id }, 'could not remove the fallback files of a deleted channel');
    }
  };

  readonly rotateKey = (id: string): string => {
    const key = this.#shared.store.channels.rotateIngestKey(id);
    this.#shared.notify('channelKeysChanged', id);
    return key;
  };

  readonly action = (id: string, action: ChannelAction): ChannelActionDto => {
    this.#shared.checkChannel(id, 'id');
    const refused = this.#shared.live.channelAction(id, action);
    if (refused !== undefined) throw new ControlPlaneError('CONFLICT', refused, 'action');
    const status = this.#shared.live.channelStatus(id);
    return { ok: true, mode: status?.mode ?? 'off', reason: status?.reason ?? null };
  };

  /** What a channel runs with: the engine's answer, else its stored settings over the defaults. */
  #settingsOf(channel: Channel): ContinuitySettings {
    return (
      this.#shared.live.continuitySettings?.(channel.id) ?? {
        ...defaultContinuitySettings,
        ...channel.settings,
      }
    );
  }

  #channelDetail(id: string, ingestHost: string): ChannelDetailView {
    const view = this.list(ingestHost).find((channel) => channel.id === id);
    if (!view) throw new ControlPlaneError('NOT_FOUND', `no channel '${id}'`, 'id');
    return { ...view, platforms: this.#shared.store.destinations.list(id) };
  }
}
