/** The store's public surface: the only module that talks to SQLite. */
export { openStore, databaseFileName, defaultChannel, type Store, type StoreOptions } from './db.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { ChannelsRepo, newStreamKey, type Channel, type KeyMatch } from './channels-repo.js';
export {
  DestinationsRepo,
  type Destination,
  type DestinationWithKey,
  type NewDestination,
  type DestinationPatch,
} from './destinations-repo.js';
export { SettingsRepo } from './settings-repo.js';
export { AuthRepo, type ApiToken, type CreatedApiToken } from './auth-repo.js';
export { hashPassword, verifyPassword } from './password.js';
export {
  HistoryRepo,
  type HistorySession,
  type HistorySwitch,
  type HistoryOutputFailure,
} from './history-repo.js';
export {
  WebhooksRepo,
  type Webhook,
  type WebhookWithSecret,
  type WebhookDelivery,
  type NewWebhook,
} from './webhooks-repo.js';
