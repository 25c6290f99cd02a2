import { useId, useState, type SyntheticEvent } from 'react';
import { api, fieldErrors, messageOf } from '../api/client.js';
import { useApiData } from '../api/use-api-data.js';
import type { PlatformDto, PlatformInput, PlatformPatch, PresetDto } from '../api/types.js';
import { Address, Badge, ConfirmButton, Field, Notice, Toggle } from '../components/ui.js';
import { useApp } from '../context.js';

type Errors = Record<string, string>;

export function PlatformsPage() {
  const { channel, presets, live } = useApp();
  const channelId = channel?.id ?? 'main';
  const list = useApiData<PlatformDto[]>(`/api/platforms?channelId=${encodeURIComponent(channelId)}`);
  const platforms = list.data ?? null;
  const [actionError, setError] = useState('');
  const error = actionError || list.error;
  const [editing, setEditing] = useState<string | null>(null);

  const changed = async (): Promise<void> => {
    await list.reload();
    void live.refresh();
  };

  const setEnabled = async (platform: PlatformDto, enabled: boolean): Promise<void> => {
    setError('');
    list.mutate((all) => all.map((p) => (p.id === platform.id ? { ...p, enabled } : p)));
    try {
      await api('PUT', `/api/platforms/${encodeURIComponent(platform.id)}`, { enabled });
    } catch (err) {
      setError(`${platform.name}: ${messageOf(err)}`);
    }
    await changed();
  };

  const presetName = (id: string | undefined): string =>
    presets.find((p) => p.id === id)?.name ?? (id === undefined ? 'Custom URL' : id);

  return (
    <section className="platforms">
      <h1>Platforms</h1>
      <p className="muted lead">
        Everything OBS sends to <strong>{channel?.name}</strong> goes to each enabled platform. Changes apply
        at once, even while live.
      </p>
      <Notice tone="bad">{error}</Notice>
      {platforms === null ? (
        <p className="muted">Loading…</p>
      ) : platforms.length === 0 ? (
        <p className="card empty">No platforms yet: add the first one below.</p>
      ) : (
        <ul className="platform-list" aria-label="Your platforms">
          {platforms.map((platform) => (
            <li
              key={platform.id}
              className="card platform-row"
              data-testid="platform-row"
              data-platform={platform.name}
            >
              {editing === platform.id ? (
                <EditPlatform
                  platform={platform}
                  onDone={(saved) => {
                    setEditing(null);
                    if (saved) void changed();
                  }}
                />
              ) : (
                <>
                  <div className="platform-row-main">
                    <div className="platform-row-title">
                      <h2>{platform.name}</h2>
                      {presetName(platform.preset) !== platform.name ? (
                        <Badge tone="info">{presetName(platform.preset)}</Badge>
                      ) : null}
                      {!platform.enabled ? <Badge tone="muted">Disabled</Badge> : null}
                    </div>
                    <dl className="facts facts-compact">
                      <div>
                        <dt>Server</dt>
                        <dd className="mono">
                          <Address text={platform.url} />
                        </dd>
                      </div>
                      <div>
                        <dt>Stream key</dt>
                        <dd className="mono" data-testid="masked-key">
                          {platform.streamKeyMasked}
                        </dd>
                      </div>
                    </dl>
                  </div>
                  <div className="platform-row-actions">
                    <Toggle
                      checked={platform.enabled}
                      label={`Send to ${platform.name}`}
                      showLabel
                      onChange={(enabled) => void setEnabled(platform, enabled)}
                    />
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => {
                        setEditing(platform.id);
                      }}
                    >
                      Edit<span className="sr-only"> {platform.name}</span>
                    </button>
                    <ConfirmButton
                      className="btn btn-small btn-danger-ghost"
                      title={`Delete ${platform.name}?`}
                      message="Its connection stops at once and its settings and stream key are forgotten."
                      confirmLabel="Delete"
                      danger
                      onConfirm={async () => {
                        await api('DELETE', `/api/platforms/${encodeURIComponent(platform.id)}`);
                        await changed();
                      }}
                    >
                      Delete<span className="sr-only"> {platform.name}</span>
                    </ConfirmButton>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      <AddPlatform channelId={channelId} presets={presets} onAdded={() => void changed()} />
    </section>
  );
}

/** The stream key input: write-only, hidden unless shown while typing. */
function KeyInput({
  value,
  onChange,
  placeholder,
  ...props
}: {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
}) {
  const [shown, setShown] = useState(false);
  return (
    <div className="input-with-button">
      <input
        {...props}
        type={shown ? 'text' : 'password'}
        name="streamKey"
        autoComplete="off"
        spellCheck={false}
        value={value}
        placeholder={placeholder}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      />
      <button
        type="button"
        className="btn btn-small"
        aria-pressed={shown}
        onClick={() => {
          setShown(!shown);
        }}
      >
        {shown ? 'Hide' : 'Show'}
        <span className="sr-only"> stream key</span>
      </button>
    </div>
  );
}

function AddPlatform({
  channelId,
  presets,
  onAdded,
}: {
  channelId: string;
  presets: PresetDto[];
  onAdded: () => void;
}) {
  const [presetId, setPresetId] = useState('twitch');
  // null: the preset's recommended URL, until the user types another.
  const [typedUrl, setUrl] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [streamKey, setStreamKey] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const listId = useId();
  const preset = presets.find((p) => p.id === presetId);
  const url = typedUrl ?? preset?.urls[0]?.url ?? '';

  const submit = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    setDone('');
    const input: PlatformInput = { streamKey, channelId, url };
    if (presetId !== '') input.preset = presetId;
    if (name.trim() !== '') input.name = name.trim();
    try {
      const created = await api<PlatformDto>('POST', '/api/platforms', input);
      setStreamKey('');
      setName('');
      setDone(`${created.name} added.`);
      onAdded();
    } catch (err) {
      setErrors(fieldErrors(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="card add-platform"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-labelledby="add-title"
    >
      <h2 id="add-title">Add a platform</h2>
      <fieldset className="preset-picker">
        <legend>Platform</legend>
        {presets.map((p) => (
          <label key={p.id} className={p.id === presetId ? 'preset preset-selected' : 'preset'}>
            <input
              type="radio"
              name="preset"
              value={p.id}
              checked={p.id === presetId}
              onChange={() => {
                setPresetId(p.id);
                setUrl(null);
              }}
            />
            <span>{p.name}</span>
          </label>
        ))}
      </fieldset>
      {errors['preset'] ? <p className="field-error">{errors['preset']}</p> : null}
      {preset && preset.notes !== '' ? <p className="muted small">{preset.notes}</p> : null}
      <div className="form-grid">
        <Field
          label="Stream key"
          error={errors['streamKey']}
          hint="Paste it from the platform's dashboard. It is never shown again."
        >
          {(props) => <KeyInput {...props} value={streamKey} onChange={setStreamKey} />}
        </Field>
        <Field
          label="Server URL"
          error={errors['url']}
          hint={
            preset && preset.urls.length > 0
              ? 'The recommended ingest; pick another from the list or paste your own.'
              : 'rtmp:// or rtmps:// address the platform gives you.'
          }
        >
          {(props) => (
            <>
              <input
                {...props}
                type="text"
                inputMode="url"
                name="url"
                autoComplete="off"
                spellCheck={false}
                list={listId}
                placeholder="rtmps://…"
                value={url}
                onChange={(event) => {
                  setUrl(event.target.value);
                }}
              />
              <datalist id={listId}>
                {preset?.urls.map((u) => (
                  <option key={u.url} value={u.url}>
                    {u.label}
                  </option>
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Name (optional)" error={errors['name']}>
          {(props) => (
            <input
              {...props}
              type="text"
              name="name"
              autoComplete="off"
              placeholder={preset?.name ?? 'My platform'}
              value={name}
              onChange={(event) => {
                setName(event.target.value);
              }}
            />
          )}
        </Field>
      </div>
      <Notice tone="bad">{errors['']}</Notice>
      <Notice tone="good">{done}</Notice>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? 'Adding…' : 'Add platform'}
      </button>
    </form>
  );
}

function EditPlatform({ platform, onDone }: { platform: PlatformDto; onDone: (saved: boolean) => void }) {
  const [name, setName] = useState(platform.name);
  const [url, setUrl] = useState(platform.url);
  const [streamKey, setStreamKey] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    const patch: PlatformPatch = {};
    if (name !== platform.name) patch.name = name;
    if (url !== platform.url) patch.url = url;
    if (streamKey !== '') patch.streamKey = streamKey;
    if (Object.keys(patch).length === 0) {
      onDone(false);
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      await api('PUT', `/api/platforms/${encodeURIComponent(platform.id)}`, patch);
      onDone(true);
    } catch (err) {
      setErrors(fieldErrors(err));
      setBusy(false);
    }
  };

  return (
    <form
      className="edit-platform"
      onSubmit={(event) => void submit(event)}
      noValidate
      aria-label={`Edit ${platform.name}`}
    >
      <div className="form-grid">
        <Field label="Name" error={errors['name']}>
          {(props) => (
            <input
              {...props}
              type="text"
              value={name}
              onChange={(event) => {
                setName(event.target.value);
              }}
            />
          )}
        </Field>
        <Field label="Server URL" error={errors['url']}>
          {(props) => (
            <input
              {...props}
              type="text"
              inputMode="url"
              spellCheck={false}
              value={url}
              onChange={(event) => {
                setUrl(event.target.value);
              }}
            />
          )}
        </Field>
        <Field
          label="New stream key"
          error={errors['streamKey']}
          hint={`Leave empty to keep the current key (${platform.streamKeyMasked}).`}
        >
          {(props) => (
            <KeyInput
              {...props}
              value={streamKey}
              onChange={setStreamKey}
              placeholder={platform.streamKeyMasked}
            />
          )}
        </Field>
      </div>
      <Notice tone="bad">{errors['']}</Notice>
      <div className="row-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Save
        </button>
        <button
          type="button"
          className="btn"
          onClick={() => {
            onDone(false);
          }}
        >
          Cancel
        </button>
      </div>
    </form>
  );
}
