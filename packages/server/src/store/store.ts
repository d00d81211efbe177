// The one storage interface of the server. The domain talks to this; the SQLite and PostgreSQL
// adapters implement it, and test/store.test.ts runs one suite against both.
import type { components } from '@pipai/contract';

export type WebhookStatus = components['schemas']['WebhookStatus'];

export interface AccountRecord {
  id: string;
  name: string;
  createdAt: number;
}

export interface ApiKeyRecord {
  id: string;
  accountId: string;
  accountName: string;
  /** The API secret, sealed with the SecretBox. */
  sealedSecret: string;
  scopes: string[];
  createdAt: number;
  revokedAt: number | null;
}

export interface NewApiKey {
  id: string;
  accountId: string;
  sealedSecret: string;
  scopes: string[];
  createdAt: number;
}

export interface WebhookRecord {
  id: string;
  accountId: string;
  url: string;
  /** The URL as compared for duplicates (scheme and host lower case, default port dropped). */
  normalizedUrl: string;
  events: string[];
  description: string | null;
  balanceLowThreshold: string | null;
  status: WebhookStatus;
  consecutiveFailures: number;
  lastDeliveryAt: number | null;
  lastSuccessAt: number | null;
  createdAt: number;
  /** The signing secret, sealed with the SecretBox. */
  sealedSecret: string;
  /** Insertion order, assigned by the store; the keyset of pagination. */
  seq: number;
}

export type NewWebhook = Omit<WebhookRecord, 'seq'>;

export type InsertWebhookResult = 'created' | 'duplicate_url' | 'limit_reached' | 'id_taken';

export interface WebhookChanges {
  url?: string;
  normalizedUrl?: string;
  events?: string[];
  description?: string | null;
  balanceLowThreshold?: string | null;
  status?: WebhookStatus;
  consecutiveFailures?: number;
}

export type UpdateWebhookResult = { outcome: 'updated'; webhook: WebhookRecord } | { outcome: 'not_found' | 'duplicate_url' };

export interface WebhookQuery {
  status?: WebhookStatus;
  /** Only webhooks whose `events` contain at least one of these patterns. */
  subscribedToAny?: readonly string[];
  /** Only webhooks inserted before this position (exclusive): the keyset cursor. */
  beforeSeq?: number;
  limit: number;
}

export interface WeightBudget {
  windowMs: number;
  budget: number;
}

export interface WeightCharge {
  admitted: boolean;
  /** Weight spent in the window, this request included when admitted. */
  used: number;
  /** When not admitted: how long until enough weight leaves the window. */
  retryAfterMs: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies every pending versioned migration; safe to call from several processes at once. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  ensureAccount(account: AccountRecord): Promise<AccountRecord>;
  findAccountByName(name: string): Promise<AccountRecord | undefined>;
  insertApiKey(key: NewApiKey): Promise<void>;
  findApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(accountName?: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(id: string, at: number): Promise<boolean>;
  countApiKeys(): Promise<number>;

  /** Records a request signature until `expiresAt`; false if it was already recorded (a replay). */
  rememberSignature(signature: string, expiresAt: number, now: number): Promise<boolean>;
  /** Spends `weight` from the key's rolling-window budget, atomically across processes. */
  spendWeight(keyId: string, weight: number, now: number, budget: WeightBudget): Promise<WeightCharge>;

  /** Inserts unless the account already has `maxPerAccount` webhooks or this normalized URL; atomic. */
  insertWebhook(webhook: NewWebhook, maxPerAccount: number): Promise<InsertWebhookResult>;
  findWebhook(accountId: string, id: string): Promise<WebhookRecord | undefined>;
  /** Newest first (by seq). */
  listWebhooks(accountId: string, query: WebhookQuery): Promise<WebhookRecord[]>;
  updateWebhook(accountId: string, id: string, changes: WebhookChanges): Promise<UpdateWebhookResult>;
  deleteWebhook(accountId: string, id: string): Promise<boolean>;
}
