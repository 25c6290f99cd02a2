import { createContext, useContext, useSyncExternalStore } from 'react';
import type { LiveSnapshot, LiveStore } from './api/live-store.js';
import type { ChannelDto, ChannelStatusDto, PresetDto } from './api/types.js';

/** What every page of a logged-in session shares. */
export interface AppState {
  /** Every channel (ingest URL and key included). */
  channels: ChannelDto[];
  /** The channel the switcher has selected. */
  channel: ChannelDto | undefined;
  selectChannel: (id: string) => void;
  /** Fetches the channels again (after a rotate, a rename, new settings). */
  reloadChannels: () => Promise<void>;
  /** Platform presets. */
  presets: PresetDto[];
  live: LiveStore;
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (!state) throw new Error('useApp outside <AppContext>');
  return state;
}

/** The live snapshot (re-renders on every change). */
export function useLive(): LiveSnapshot {
  const { live } = useApp();
  return useSyncExternalStore(live.subscribe, live.getSnapshot);
}

/** The selected channel's live status, when known. */
export function useChannelStatus(): ChannelStatusDto | undefined {
  const { channel } = useApp();
  const { status } = useLive();
  return status?.channels.find((c) => c.id === channel?.id);
}
