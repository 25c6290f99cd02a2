import { useState, type SyntheticEvent } from 'react';
import { api, fieldErrors } from '../api/client.js';
import type {
  CreatedTokenDto,
  CreatedWebhookDto,
  TokenDto,
  TokenScope,
  WebhookDto,
  WebhookEventName,
} from '../api/types.js';
import { webhookEventNames } from '../api/contract.js';
import { useApiData } from '../api/use-api-data.js';
import { ConfirmButton, Field, Notice, SecretOnce } from '../components/ui.js';
import { useApp } from '../context.js';
import { clockTime } from '../format.js';

/* Settings for scripts and other services: API tokens and webhooks. */

type Errors = Record<string, string>;

/** What each token scope allows, as the picker and the list say it. */
const scopeLabels: Record<TokenScope, string> = {
  read: 'Read: status, events, metrics, history',
  admin: 'Admin: everything, platforms and keys included',
};

export function Tokens() {
  const list = useApiData<TokenDto[]>('/api/tokens');
  const tokens = list.data ?? [];
  const load = list.reload;
  const [name, setName] = useState('');
  // Least privilege first: a dashboard, Grafana or Prometheus needs only to read.
  const [scope, setScope] = useState<TokenScope>('read');
  const [errors, setErrors] = useState<Errors>({});
  const [created, setCreated] = useState<CreatedTokenDto | null>(null);

  const create = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    setErrors({});
    try {
      setCreated(await api<CreatedTokenDto>('POST', '/api/tokens', { name: name.trim(), scope }));
      setName('');
      await load();
    } catch (err) {
      setErrors(fieldErrors(err));
    }
  };

  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <p className="muted small">
        For scripts and bots: send <code>Authorization: Bearer TOKEN</code>. The API is described at{' '}
        <a href="/api/docs">/api/docs</a>.
      </p>
      {created ? (
        <SecretOnce
          secret={created.token}
          copyLabel="Copy the new token"
          onDone={() => {
            setCreated(null);
          }}
        >
          <strong>{created.name}</strong>: copy it now, it is not shown again.
        </SecretOnce>
      ) : null}
      {tokens.length > 0 ? (
        <ul className="plain-list token-list">
          {tokens.map((token) => (
            <li key={token.id}>
              <span>
                <strong>{token.name}</strong> <span className="mono muted">{token.prefix}…</span>{' '}
                <span className="badge">{token.scope}</span>
                <br />
                <span className="muted small">
                  created {new Date(token.createdAt).toLocaleDateString()}
                  {token.lastUsedAt
                    ? `, last used ${new Date(token.lastUsedAt).toLocaleDateString()} ${clockTime(token.lastUsedAt)}`
                    : ', never used'}
                </span>
              </span>
              <ConfirmButton
                className="btn btn-small btn-danger-ghost"
                title={`Revoke ${token.name}?`}
                message="Scripts using it are refused from now on."
                confirmLabel="Revoke"
                danger
                onConfirm={async () => {
                  await api('DELETE', `/api/tokens/${encodeURIComponent(token.id)}`);
                  await load();
                }}
              >
                Revoke<span className="sr-only"> {token.name}</span>
              </ConfirmButton>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No tokens.</p>
      )}
      <form className="inline-form" onSubmit={(event) => void create(event)} noValidate>
        <Field label="Token name" error={errors['name']}>
          {(props) => (
            <input
              {...props}
              type="text"
              placeholder="stream deck"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
              }}
            />
          )}
        </Field>
        <Field label="Scope" error={errors['scope']}>
          {(props) => (
            <select
              {...props}
              value={scope}
              onChange={(e) => {
                setScope(e.target.value as TokenScope);
              }}
            >
              {Object.entries(scopeLabels).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="btn">
          Create token
        </button>
      </form>
      <Notice tone="bad">{errors['']}</Notice>
    </section>
  );
}

const webhookEventLabels: Readonly<Record<WebhookEventName, string>> = {
  'went-live': 'Went live',
  fallback: 'Fallback started',
  'back-to-live': 'Back to live',
  ended: 'Stream ended',
  'destination-failed': 'A platform failed',
};
const webhookEvents = webhookEventNames.map((id) => ({ id, label: webhookEventLabels[id] }));

export function Webhooks() {
  const { channel } = useApp();
  const channelId = channel?.id ?? 'main';
  const list = useApiData<WebhookDto[]>(`/api/webhooks?channelId=${encodeURIComponent(channelId)}`);
  const hooks = list.data ?? null;
  const load = list.reload;
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<WebhookEventName[]>([
    'went-live',
    'fallback',
    'ended',
    'destination-failed',
  ]);
  const [errors, setErrors] = useState<Errors>({});
  const [created, setCreated] = useState<CreatedWebhookDto | null>(null);

  if (hooks === null) return null;

  const create = async (event: SyntheticEvent): Promise<void> => {
    event.preventDefault();
    setErrors({});
    try {
      setCreated(
        await api<CreatedWebhookDto>('POST', '/api/webhooks', { channelId, url: url.trim(), events }),
      );
      setUrl('');
      await load();
    } catch (err) {
      setErrors(fieldErrors(err));
    }
  };

  return (
    <section className="card" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <p className="muted small">
        The server POSTs JSON to these URLs when {channel?.name} goes live, falls back, ends or loses a
        platform, signed with <code>X-Restream-Signature</code>.
      </p>
      {created ? (
        <SecretOnce
          secret={created.secret}
          copyLabel="Copy the webhook secret"
          onDone={() => {
            setCreated(null);
          }}
        >
          Signing secret for {created.url}: copy it now, it is not shown again.
        </SecretOnce>
      ) : null}
      {hooks.length > 0 ? (
        <ul className="plain-list token-list">
          {hooks.map((hook) => (
            <li key={hook.id}>
              <span>
                <span className="mono break">{hook.url}</span>
                <br />
                <span className="muted small">
                  {hook.events.join(', ')}
                  {hook.lastDelivery
                    ? ` · last delivery ${clockTime(hook.lastDelivery.at)}: ${hook.lastDelivery.error ?? `HTTP ${hook.lastDelivery.status ?? '?'}`}`
                    : ''}
                </span>
              </span>
              <ConfirmButton
                className="btn btn-small btn-danger-ghost"
                title="Delete this webhook?"
                message={hook.url}
                confirmLabel="Delete"
                danger
                onConfirm={async () => {
                  await api('DELETE', `/api/webhooks/${encodeURIComponent(hook.id)}`);
                  await load();
                }}
              >
                Delete<span className="sr-only"> webhook {hook.url}</span>
              </ConfirmButton>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">No webhooks.</p>
      )}
      <form onSubmit={(event) => void create(event)} noValidate>
        <Field label="URL" error={errors['url']}>
          {(props) => (
            <input
              {...props}
              type="url"
              placeholder="https://example.com/hook"
              value={url}
              onChange={(e) => {
                setUrl(e.target.value);
              }}
            />
          )}
        </Field>
        <fieldset className="checks">
          <legend>Events</legend>
          {webhookEvents.map((e) => (
            <label key={e.id}>
              <input
                type="checkbox"
                checked={events.includes(e.id)}
                onChange={(change) => {
                  setEvents(change.target.checked ? [...events, e.id] : events.filter((x) => x !== e.id));
                }}
              />{' '}
              {e.label}
            </label>
          ))}
        </fieldset>
        {errors['events'] ? <p className="field-error">{errors['events']}</p> : null}
        <Notice tone="bad">{errors[''] ?? errors['channelId']}</Notice>
        <button type="submit" className="btn">
          Add webhook
        </button>
      </form>
    </section>
  );
}
