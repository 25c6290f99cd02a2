import { RestreamError } from '../shared/errors.js';

/** A webhook refused at configuration: the field at fault is named. */
export class WebhookConfigError extends RestreamError<'VALIDATION'> {
  /** The input field at fault. */
  readonly field: string;

  constructor(message: string, field: string) {
    super('VALIDATION', message);
    this.name = 'WebhookConfigError';
    this.field = field;
  }
}

/** Webhook URLs: http:// or https:// with a host. */
export function checkWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WebhookConfigError('url is not a valid URL', 'url');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new WebhookConfigError('url must start with http:// or https://', 'url');
  }
  if (parsed.hostname === '') throw new WebhookConfigError('url must name a host', 'url');
}
