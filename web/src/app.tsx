import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, onUnauthorized } from './api/client.js';
import { LiveStore } from './api/live-store.js';
import type { ChannelDto, PresetDto } from './api/types.js';
import { AppContext, useChannelStatus, useLive, type AppState } from './context.js';
import { Link, navigate, usePath } from './router.js';
import { DashboardPage } from './pages/dashboard.js';
import { FallbackPage } from './pages/fallback.js';
import { LoginPage } from './pages/login.js';
import { ObsPage } from './pages/obs.js';
import { PlatformsPage } from './pages/platforms.js';
import { RecordingsPage } from './pages/recordings.js';
import { SettingsPage } from './pages/settings.js';

const pages = [
  { path: '/', label: 'Dashboard', Page: DashboardPage },
  { path: '/platforms', label: 'Platforms', Page: PlatformsPage },
  { path: '/fallback', label: 'Fallback', Page: FallbackPage },
  { path: '/recordings', label: 'Recordings', short: 'Rec', Page: RecordingsPage },
  { path: '/obs', label: 'OBS setup', short: 'OBS', Page: ObsPage },
  { path: '/settings', label: 'Settings', Page: SettingsPage },
] as const;

const channelStorageKey = 'restream.channel';

type Session = { state: 'checking' } | { state: 'out' } | { state: 'in'; channels: ChannelDto[] };

export function App() {
  const [session, setSession] = useState<Session>({ state: 'checking' });

  // Logged in when the channels can be read; any failure shows the login page (which says why).
  const check = useCallback(
    () =>
      api<ChannelDto[]>('GET', '/api/channels').then(
        (channels) => {
          setSession({ state: 'in', channels });
        },
        () => {
          setSession({ state: 'out' });
        },
      ),
    [],
  );

  useEffect(() => {
    void check();
    return onUnauthorized(() => {
      setSession({ state: 'out' });
    });
  }, [check]);

  if (session.state === 'checking') {
    return (
      <main className="center-page" aria-busy="true">
        <p className="muted">Loading…</p>
      </main>
    );
  }
  if (session.state === 'out') return <LoginPage onLoggedIn={() => void check()} />;
  return (
    <Shell
      initialChannels={session.channels}
      onLoggedOut={() => {
        setSession({ state: 'out' });
      }}
    />
  );
}

function Shell({ initialChannels, onLoggedOut }: { initialChannels: ChannelDto[]; onLoggedOut: () => void }) {
  const [channels, setChannels] = useState(initialChannels);
  const [channelId, setChannelId] = useState(() => localStorage.getItem(channelStorageKey) ?? 'main');
  const [presets, setPresets] = useState<PresetDto[]>([]);
  const live = useMemo(() => new LiveStore(), []);
  const path = usePath();

  useEffect(() => {
    live.start();
    return () => {
      live.stop();
    };
  }, [live]);

  useEffect(() => {
    api<PresetDto[]>('GET', '/api/presets').then(setPresets, () => undefined);
  }, []);

  const reloadChannels = useCallback(async () => {
    setChannels(await api<ChannelDto[]>('GET', '/api/channels'));
    // A new or renamed channel: the status must know it too.
    void live.refresh();
  }, [live]);

  const channel = channels.find((c) => c.id === channelId) ?? channels[0];
  const state: AppState = {
    channels,
    channel,
    selectChannel: (id) => {
      localStorage.setItem(channelStorageKey, id);
      setChannelId(id);
    },
    reloadChannels,
    presets,
    live,
  };

  const current = pages.find((p) => p.path === path);
  const Page = current?.Page;

  const logout = async (): Promise<void> => {
    try {
      await api('POST', '/api/auth/logout');
    } finally {
      navigate('/');
      onLoggedOut();
    }
  };

  useEffect(() => {
    document.title = `${current?.label ?? 'Not found'} · restream`;
  }, [current]);

  return (
    <AppContext.Provider value={state}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="restream dashboard">
          <BrandDot />
          restream
        </Link>
        {channels.length > 1 ? (
          <label className="channel-switcher">
            <span className="sr-only">Channel</span>
            <select
              value={channel?.id ?? ''}
              onChange={(event) => {
                state.selectChannel(event.target.value);
              }}
            >
              {channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="channel-name">{channel?.name}</span>
        )}
        <ConnectionDot />
        <button type="button" className="btn btn-ghost btn-small" onClick={() => void logout()}>
          Log out
        </button>
      </header>
      <nav className="tabs" aria-label="Sections">
        {pages.map((p) => (
          <Link key={p.path} to={p.path} current={p.path === path} className="tab">
            {'short' in p ? (
              <>
                <span className="narrow-only">{p.short}</span>
                <span className="wide-only">{p.label}</span>
              </>
            ) : (
              p.label
            )}
          </Link>
        ))}
      </nav>
      <main id="main" className="page" tabIndex={-1}>
        {!channel ? (
          <p>No channel.</p>
        ) : Page ? (
          <Page />
        ) : (
          <section>
            <h1>Not found</h1>
            <p>
              There is no page at <code>{path}</code>. <Link to="/">Go to the dashboard</Link>.
            </p>
          </section>
        )}
      </main>
    </AppContext.Provider>
  );
}

/** The logo's dot: a tally light, red only while the channel is on air (amber on the fallback). */
function BrandDot() {
  const status = useChannelStatus();
  // Off until a source has the air: OBS connected with no frame sent yet sends the platforms nothing.
  const state = status?.onAir ? (status.source ?? 'off') : 'off';
  return <span className="brand-dot" aria-hidden="true" data-state={state} data-testid="brand-dot" />;
}

/** Whether the dashboard is live (events), polling, or reconnecting. */
function ConnectionDot() {
  const { connection, error } = useLive();
  const label =
    error !== null
      ? `Server unreachable: ${error}`
      : connection === 'live'
        ? 'Live updates'
        : connection === 'polling'
          ? 'Updating every second'
          : 'Connecting…';
  const tone = error !== null ? 'bad' : connection === 'live' ? 'good' : 'warn';
  return (
    <span className={`conn conn-${tone}`} title={label} data-testid="connection" data-connection={connection}>
      <span className="conn-dot" aria-hidden="true" />
      <span className="sr-only" role="status">
        {label}
      </span>
      <span className="conn-text" aria-hidden="true">
        {label}
      </span>
    </span>
  );
}
