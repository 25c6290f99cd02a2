import { useState, type SyntheticEvent } from 'react';
import { api, fieldErrors } from '../api/client.js';
import type { ChannelDetailDto, ChannelSettingsDto, CleanStopAction } from '../api/types.js';
import { minPasswordLength, settingLimits, type LimitedSetting } from '../api/contract.js';
import { ConfirmButton, Field, Notice, NumberField } from '../components/ui.js';
import { useApp } from '../context.js';
import { Tokens, Webhooks } from './settings-integrations.js';

type Errors = Record<string, string>;

export function SettingsPage() {
  return (
    <section className="settings">
      <h1>Settings</h1>
      <ContinuitySettings />
      <Channels />
      <PasswordChange />
      <Tokens />
      <Webhooks />
    </section>
  );
}

/** Seconds as typed → milliseconds; NaN for an empty or bad entry (the API then names the field). */
function toMs(text: string, unitMs: number): number {
  const value = Number(text.replace(',', '.'));
  return text.trim() === '' || !Number.isFinite(value) ? Number.NaN : Math.round(value * unitMs);
}

/** A setting's limits (the contract's, as the API checks them) in the form's unit. */
function range(setting: LimitedSetting, unitMs: number): { min: number; max: number } {
  const { min, max } = settingLimits[setting];
  return { min: min / unitMs, max: max / unitMs };
}

const stallRange = range('stallTimeoutMs', 1000);
const timeoutRange = range('fallbackTimeoutMs', 60_000);
const graceRange = range('cleanStopGraceMs', 1000);
const kbpsRange = range('thresholdKbps', 1);
const windowRange = range('windowMs', 1000);

/** What each continuity field accepts, in the form's units (the API's messages are in ms). */
const rangeHints: Readonly<Record<string, string>> = {
  stallTimeoutMs: `Enter ${stallRange.min} to ${stallRange.max} seconds.`,
  fallbackTimeoutMs: `Enter ${timeoutRange.min} to ${timeoutRange.max} minutes.`,
  cleanStopGraceMs: `Enter ${graceRange.min} to ${graceRange.max} seconds.`,
  'lowBitrate.thresholdKbps': `Enter ${kbpsRange.min} to ${kbpsRange.max} kbps.`,
  'lowBitrate.windowMs': `Enter ${windowRange.min} to ${windowRange.max} seconds.`,
};

const cleanStopLabels: Record<CleanStopAction, string> = {
  'fallback-then-end': 'Play the fallback for a grace period, then end',
  end: 'End the stream at once',
  fallback: 'Play the fallback until OBS returns',
};

function ContinuitySettings() {
  const { channel, reloadChannels } = useApp();
  const settings = channel?.settings;
  if (!channel || !settings) return null;
  // Keyed by channel: switching channel starts the form afresh with that channel's values.
  return (
    <ContinuityForm
      key={channel.id}
      channelId={channel.id}
      channelName={channel.name}
      settings={settings}
      onSaved={reloadChannels}
    />
  );
}

function ContinuityForm({
  channelId,
  channelName,
  settings,
  onSaved,
}: {
  channelId: string;
  channelName: string;
  settings: ChannelSettingsDto;
  onSaved: () => Promise<void>;
}) {
  const [stall, setStall] = useState(String(settings.stallTimeoutMs / 1000));
  const [action, setAction] = useState<CleanStopAction>(settings.cleanStopAction);
  const [grace, setGrace] = useState(String(settings.cleanStopGraceMs / 1000));
  const [timeout, setTimeoutText] = useState(String(settings.fallbackTimeoutMs / 60_000));
  const [lowOn, setLowOn] = useState(settings.lowBitrate !== null);
  const [lowKbps, setLowKbps] = useState(String(settings.lowBitrate?.thresholdKbps ?? 500));
  const [lowWindow, setLowWindow] = useState(String((settings.lowBitrate?.windowMs ?? 10_000) / 1000));
  const [errors, setErrors] = useState<Errors>({});
  const [saved, setSaved] = useState('');

  const submit = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    setErrors({});
    setSaved('');
    const patch: ChannelSettingsDto = {
      stallTimeoutMs: toMs(stall, 1000),
      cleanStopAction: action,
      cleanStopGraceMs: toMs(grace, 1000),
      fallbackTimeoutMs: toMs(timeout, 60_000),
      lowBitrate: lowOn ? { thresholdKbps: toMs(lowKbps, 1), windowMs: toMs(lowWindow, 1000) } : null,
    };
    try {
      await api<ChannelDetailDto>('PUT', `/api/channels/${encodeURIComponent(channelId)}`, {
        settings: patch,
      });
      await onSaved();
      setSaved('Saved: applied at once, even while live.');
    } catch (err) {
      const found = fieldErrors(err);
      // The API names `settings.stallTimeoutMs` and speaks milliseconds; the form speaks its own units.
      setErrors(
        Object.fromEntries(
          Object.entries(found).map(([k, v]) => {
            const key = k.replace(/^settings\./, '');
            return [key, rangeHints[key] ?? v];
          }),
        ),
      );
    }
  };

  return (
    <form
      className="card"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-labelledby="continuity-title"
    >
      <h2 id="continuity-title">Continuity: {channelName}</h2>
      <p className="muted small">What the platforms get when OBS goes away.</p>
      <div className="form-grid">
        <NumberField
          label="Stall after (seconds without media)"
          error={errors['stallTimeoutMs']}
          hint={`${stallRange.min} to ${stallRange.max} s`}
          min={stallRange.min}
          max={stallRange.max}
          step={0.25}
          value={stall}
          onChange={setStall}
        />
        <NumberField
          label="After a drop or stall, end the stream after (minutes of fallback)"
          error={errors['fallbackTimeoutMs']}
          hint={`${timeoutRange.min} to ${timeoutRange.max} minutes`}
          min={timeoutRange.min}
          max={timeoutRange.max}
          step={1}
          value={timeout}
          onChange={setTimeoutText}
        />
        <Field label="When you press Stop Streaming in OBS" error={errors['cleanStopAction']}>
          {(props) => (
            <select
              {...props}
              value={action}
              onChange={(e) => {
                setAction(e.target.value as CleanStopAction);
              }}
            >
              {Object.entries(cleanStopLabels).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <NumberField
          label="Grace period (seconds)"
          error={errors['cleanStopGraceMs']}
          hint="With “grace period, then end”: an accidental stop/start recovers."
          min={graceRange.min}
          max={graceRange.max}
          step={1}
          value={grace}
          disabled={action !== 'fallback-then-end'}
          onChange={setGrace}
        />
      </div>
      <div className="check-row">
        <input
          id="low-on"
          type="checkbox"
          checked={lowOn}
          onChange={(e) => {
            setLowOn(e.target.checked);
          }}
        />
        <label htmlFor="low-on">Switch to the fallback when the OBS bitrate stays too low</label>
      </div>
      {lowOn ? (
        <div className="form-grid">
          <NumberField
            label="Below (kbps)"
            error={errors['lowBitrate.thresholdKbps'] ?? errors['lowBitrate']}
            min={kbpsRange.min}
            value={lowKbps}
            onChange={setLowKbps}
            integer
          />
          <NumberField
            label="For (seconds)"
            error={errors['lowBitrate.windowMs']}
            min={windowRange.min}
            max={windowRange.max}
            value={lowWindow}
            onChange={setLowWindow}
            integer
          />
        </div>
      ) : null}
      <Notice tone="bad">{errors['']}</Notice>
      <Notice tone="good">{saved}</Notice>
      <button type="submit" className="btn btn-primary">
        Save continuity settings
      </button>
    </form>
  );
}

function Channels() {
  const { channels, channel, reloadChannels, selectChannel } = useApp();
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [rename, setRename] = useState(channel?.name ?? '');
  const [renameErrors, setRenameErrors] = useState<Errors>({});
  const [renamed, setRenamed] = useState('');
  const [renameFor, setRenameFor] = useState(channel?.id);
  if (renameFor !== channel?.id) {
    setRenameFor(channel?.id);
    setRename(channel?.name ?? '');
  }

  const create = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    setErrors({});
    try {
      const created = await api<ChannelDetailDto>('POST', '/api/channels', { name: name.trim() });
      setName('');
      await reloadChannels();
      selectChannel(created.id);
    } catch (err) {
      setErrors(fieldErrors(err));
    }
  };

  const saveName = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    if (!channel) return;
    setRenameErrors({});
    setRenamed('');
    try {
      await api('PUT', `/api/channels/${encodeURIComponent(channel.id)}`, { name: rename.trim() });
      await reloadChannels();
      setRenamed('Renamed.');
    } catch (err) {
      setRenameErrors(fieldErrors(err));
    }
  };

  return (
    <section className="card" aria-labelledby="channels-title">
      <h2 id="channels-title">Channels</h2>
      <p className="muted small">
        Each channel has its own OBS stream key, platforms and fallback. Switch between them at the top of the
        page.
      </p>
      {channel ? (
        <form className="inline-form" onSubmit={(event) => void saveName(event)} noValidate>
          <Field label={`Name of “${channel.id}”`} error={renameErrors['name']}>
            {(props) => (
              <input
                {...props}
                type="text"
                value={rename}
                onChange={(e) => {
                  setRename(e.target.value);
                }}
              />
            )}
          </Field>
          <button type="submit" className="btn">
            Rename
          </button>
          {channels.length > 1 ? (
            <ConfirmButton
              className="btn btn-danger-ghost"
              title={`Delete channel ${channel.name}?`}
              message="Its broadcast ends on every platform, and its platforms, key and fallback are deleted."
              confirmLabel="Delete channel"
              danger
              onConfirm={async () => {
                await api('DELETE', `/api/channels/${encodeURIComponent(channel.id)}`);
                await reloadChannels();
                const next = channels.find((c) => c.id !== channel.id);
                if (next) selectChannel(next.id);
              }}
            >
              Delete channel
            </ConfirmButton>
          ) : null}
        </form>
      ) : null}
      <Notice tone="bad">{renameErrors['']}</Notice>
      <Notice tone="good">{renamed}</Notice>
      <form className="inline-form" onSubmit={(event) => void create(event)} noValidate>
        <Field label="New channel name" error={errors['name'] ?? errors['id']}>
          {(props) => (
            <input
              {...props}
              type="text"
              value={name}
              placeholder="Second stream"
              onChange={(e) => {
                setName(e.target.value);
              }}
            />
          )}
        </Field>
        <button type="submit" className="btn">
          Add channel
        </button>
      </form>
      <Notice tone="bad">{errors['']}</Notice>
    </section>
  );
}

function PasswordChange() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState('');

  const submit = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    setErrors({});
    setDone('');
    try {
      await api('POST', '/api/auth/password', { currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setDone('Password changed. Other logged-in browsers have been logged out.');
    } catch (err) {
      setErrors(fieldErrors(err));
    }
  };

  return (
    <form
      className="card"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-labelledby="password-title"
    >
      <h2 id="password-title">Admin password</h2>
      <input type="text" name="username" autoComplete="username" value="admin" readOnly hidden />
      <div className="form-grid">
        <Field label="Current password" error={errors['currentPassword']}>
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => {
                setCurrent(e.target.value);
              }}
            />
          )}
        </Field>
        <Field
          label="New password"
          error={errors['newPassword']}
          hint={`At least ${minPasswordLength} characters.`}
        >
          {(props) => (
            <input
              {...props}
              type="password"
              autoComplete="new-password"
              value={next}
              onChange={(e) => {
                setNext(e.target.value);
              }}
            />
          )}
        </Field>
      </div>
      <Notice tone="bad">{errors['']}</Notice>
      <Notice tone="good">{done}</Notice>
      <button type="submit" className="btn btn-primary">
        Change password
      </button>
    </form>
  );
}
