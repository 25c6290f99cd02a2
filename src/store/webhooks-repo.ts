import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { webhookEventNames, type WebhookEventName } from '../contract/index.js';
import { StoreError } from './errors.js';

/** The outcome of a webhook's last delivery. */
export interface WebhookDelivery {
  /** ISO-8601 time of the last attempt. */
  at: string;
  /** HTTP status of the last attempt, or null when no answer came. */
  status: number | null;
  /** Why it failed, or null when it was delivered. */
  error: string | null;
}

/** A webhook as listed: never its secret. */
export interface Webhook {
  /** Random id. */
  id: string;
  /** The channel whose events it receives. */
  channelId: string;
  /** Where the JSON is POSTed (`http://` or `https://`). */
  url: string;
  /** Events it receives. */
  events: WebhookEventName[];
  /** ISO-8601 creation time. */
  createdAt: string;
  /** How the last delivery went, or null before any. */
  lastDelivery: WebhookDelivery | null;
}

/** A webhook with its signing secret, for the sender (and for the creator, once). */
export interface WebhookWithSecret extends Webhook {
  /** The HMAC-SHA256 key of the signature header. */
  secret: string;
}

/** Fields of a new webhook. */
export interface NewWebhook {
  channelId: string;
  url: string;
  events: WebhookEventName[];
  /** Generated (256-bit random, hex) when absent. */
  secret?: string;
}

interface WebhookRow {
  id: string;
  channel_id: string;
  url: string;
  events: string;
  secret: string;
  created_at: string;
  last_delivery_at: string | null;
  last_status: number | null;
  last_error: string | null;
}

function toWebhook(row: WebhookRow): WebhookWithSecret {
  const events = (JSON.parse(row.events) as unknown[]).filter((e): e is WebhookEventName =>
    (webhookEventNames as readonly unknown[]).includes(e),
  );
  return {
    id: row.id,
    channelId: row.channel_id,
    url: row.url,
    events,
    secret: row.secret,
    createdAt: row.created_at,
    lastDelivery:
      row.last_delivery_at === null
        ? null
        : { at: row.last_delivery_at, status: row.last_status, error: row.last_error },
  };
}

/** Without the secret: what a listing may show. */
function withoutSecret(hook: WebhookWithSecret): Webhook {
  return {
    id: hook.id,
    channelId: hook.channelId,
    url: hook.url,
    events: hook.events,
    createdAt: hook.createdAt,
    lastDelivery: hook.lastDelivery,
  };
}

/** Outgoing webhooks, per channel. */
export class WebhooksRepo {
  readonly #db: Database;
  readonly #now: () => number;

  constructor(db: Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Every webhook (or one channel's), oldest first, without secrets. */
  list(channelId?: string): Webhook[] {
    return this.#rows(channelId).map(withoutSecret);
  }

  /** One channel's webhooks with their secrets, for sending. */
  listWithSecrets(channelId: string): WebhookWithSecret[] {
    return this.#rows(channelId);
  }

  /** One webhook without its secret; NOT_FOUND when there is none. */
  get(id: string): Webhook {
    const row = this.#db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `no webhook '${id}'`, { field: 'id' });
    return withoutSecret(toWebhook(row));
  }

  /** Creates a webhook; the result carries the secret (the only time it leaves the store but to sign). */
  create(input: NewWebhook): WebhookWithSecret {
    const id = randomBytes(6).toString('hex');
    const secret = input.secret ?? randomBytes(32).toString('hex');
    const createdAt = new Date(this.#now()).toISOString();
    try {
      this.#db
        .prepare(
          'INSERT INTO webhooks (id, channel_id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(id, input.channelId, input.url, JSON.stringify([...new Set(input.events)]), secret, createdAt);
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
        throw new StoreError('NOT_FOUND', `no channel '${input.channelId}'`, {
          field: 'channelId',
          cause: err,
        });
      }
      throw err;
    }
    const row = this.#db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow;
    return toWebhook(row);
  }

  /** Deletes a webhook; NOT_FOUND when there is none. */
  remove(id: string): void {
    if (this.#db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes === 0) {
      throw new StoreError('NOT_FOUND', `no webhook '${id}'`, { field: 'id' });
    }
  }

  /** Records how a delivery ended (a webhook deleted meanwhile is ignored). */
  recordDelivery(id: string, delivery: WebhookDelivery): void {
    this.#db
      .prepare('UPDATE webhooks SET last_delivery_at = ?, last_status = ?, last_error = ? WHERE id = ?')
      .run(delivery.at, delivery.status, delivery.error, id);
  }

  #rows(channelId: string | undefined): WebhookWithSecret[] {
    const rows = (
      channelId === undefined
        ? this.#db.prepare('SELECT * FROM webhooks ORDER BY created_at, rowid').all()
        : this.#db
            .prepare('SELECT * FROM webhooks WHERE channel_id = ? ORDER BY created_at, rowid')
            .all(channelId)
    ) as WebhookRow[];
    return rows.map(toWebhook);
  }
}
