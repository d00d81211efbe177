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
  /** Deliveries per second at most, over all workers; null for none. */
  rateLimit: number | null;
  status: WebhookStatus;
  consecutiveFailures: number;
  lastDeliveryAt: number | null;
  lastSuccessAt: number | null;
  createdAt: number;
  /** The signing secret, sealed with the SecretBox. */
  sealedSecret: string;
  /** Insertion order, assigned by the store; the keyset of pagination. */
  seq: number;
  /** During a rotation's grace period: the previous secret, sealed, and when it stops signing. */
  previousSealedSecret: string | null;
  previousSecretExpiresAt: number | null;
  /** When the current run of failed deliveries began; null after a success. */
  failingSince: number | null;
}

export type NewWebhook = Omit<
  WebhookRecord,
  'seq' | 'previousSealedSecret' | 'previousSecretExpiresAt' | 'failingSince'
>;

export type InsertWebhookResult = 'created' | 'duplicate_url' | 'limit_reached' | 'id_taken';

export interface WebhookChanges {
  url?: string;
  normalizedUrl?: string;
  events?: string[];
  description?: string | null;
  balanceLowThreshold?: string | null;
  rateLimit?: number | null;
  status?: WebhookStatus;
  consecutiveFailures?: number;
}

export type UpdateWebhookResult =
  | { outcome: 'updated'; webhook: WebhookRecord }
  | { outcome: 'not_found' | 'duplicate_url' };

export interface WebhookQuery {
  status?: WebhookStatus;
  /** Only webhooks whose `events` contain at least one of these patterns. */
  subscribedToAny?: readonly string[];
  /** Only webhooks inserted before this position (exclusive): the keyset cursor. */
  beforeSeq?: number;
  limit: number;
}

export interface EventRecord {
  id: string;
  accountId: string;
  type: string;
  data: unknown;
  createdAt: number;
}

export type DeliveryTrigger = components['schemas']['Delivery']['trigger'];
export type DeliveryStatus = components['schemas']['DeliveryStatus'];

/** A delivery job the worker has leased: the event, and the webhook as it is now. */
export interface ClaimedDelivery {
  jobId: number;
  /** The lease this claim holds: only its holder may renew, release or complete the job. */
  lease: number;
  /** `event` jobs are retried on the schedule; `redelivery` jobs are one attempt. */
  trigger: Extract<DeliveryTrigger, 'event' | 'redelivery'>;
  /** Attempts this job has made so far. */
  attempts: number;
  event: EventRecord;
  webhook: WebhookRecord;
}

export interface NewAttempt {
  id: string;
  webhookId: string;
  eventId: string;
  type: string;
  trigger: DeliveryTrigger;
  status: DeliveryStatus;
  responseStatus: number | null;
  latencyMs: number | null;
  responseBody: string | null;
  error: string | null;
  errorClass: string | null;
  createdAt: number;
  nextAttemptAt: number | null;
}

export interface AttemptRecord extends NewAttempt {
  seq: number;
  /** 1 for the first attempt of this event to this webhook, counting every later one. */
  attempt: number;
}

/** A job as one worker holds it. */
export interface HeldLease {
  jobId: number;
  lease: number;
}

export interface CompletedDelivery {
  jobId: number;
  /** Completion is fenced: refused unless this is still the job's current lease. */
  lease: number;
  attempt: NewAttempt;
  /** After a failure, when to try again; null when the job gives up. Ignored after a success. */
  retryAt: number | null;
  /** The endpoint answered 410 Gone: the webhook breaks at once. */
  gone: boolean;
  /** A webhook failing continuously this long breaks. */
  brokenAfterMs: number;
}

export type CompletionResult =
  | { outcome: 'recorded'; attempt: AttemptRecord; webhookBroke: boolean }
  /** Another worker holds the job now (this one's lease expired): nothing was recorded. */
  | { outcome: 'lease_lost' }
  /** The webhook was deleted while the attempt was under way. */
  | { outcome: 'webhook_deleted' };

export interface AttemptQuery {
  status?: DeliveryStatus;
  type?: string;
  eventId?: string;
  beforeSeq?: number;
  limit: number;
}

export interface QueueStats {
  /** Pending jobs due now (their webhook active, or a redelivery). */
  due: number;
  /** The due time of the oldest of them; null when none is due. */
  oldestDueAt: number | null;
  /** Jobs under an unexpired lease, per account id. */
  inFlightByAccount: Record<string, number>;
}

export interface ClaimOptions {
  limit: number;
  leaseMs: number;
  /** In-flight caps, counted over every worker: per webhook, and per account. */
  perWebhook: number;
  perAccount: number;
}

export interface BalanceCrossing {
  webhookId: string;
  below: boolean;
  /** The account.balance_low event to publish to this webhook if this report moves it below. */
  event: EventRecord;
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
  /** Versions of this build's migrations that the database lacks (none: the schema is at head). */
  pendingMigrations(): Promise<number[]>;
  close(): Promise<void>;

  /** The master-key canary (a constant sealed with the master key); undefined until a start writes it. */
  readKeyCanary(): Promise<string | undefined>;
  /** Stores the canary unless one is stored already; returns the stored one (a concurrent start may win). */
  writeKeyCanary(sealed: string, at: number): Promise<string>;
  /** A few stored sealed secrets (API keys', webhooks'): what a master key must open when there is no canary yet. */
  sampleSealedSecrets(limit: number): Promise<string[]>;

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
  /** Replaces the signing secret; the previous one keeps signing until `previousExpiresAt`. */
  rotateWebhookSecret(
    accountId: string,
    id: string,
    sealedSecret: string,
    previousExpiresAt: number,
  ): Promise<WebhookRecord | undefined>;
  updateApiKeySecret(id: string, sealedSecret: string): Promise<boolean>;

  /**
   * The outbox: stores the event and, in the same transaction, one pending delivery job for each
   * of the account's active webhooks that `deliverTo` selects. Returns the selected webhook ids.
   */
  insertEvent(event: EventRecord, deliverTo: (activeWebhooks: WebhookRecord[]) => string[]): Promise<string[]>;
  findEvent(accountId: string, id: string): Promise<EventRecord | undefined>;
  /** The account's active webhooks (balance thresholds are judged against them). */
  listActiveWebhooks(accountId: string): Promise<WebhookRecord[]>;
  /**
   * Records, per webhook, whether `asset` is below its threshold now. A webhook that moves to below
   * (from above or from unknown) gets its event stored with one job, atomically; those events return.
   */
  recordBalanceCrossings(asset: string, crossings: readonly BalanceCrossing[]): Promise<EventRecord[]>;

  /** Leases due jobs (and jobs whose lease expired: their worker died) for delivery. */
  claimDeliveries(now: number, options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /**
   * Records attempts, moves their jobs on and keeps their webhooks' health, in one transaction (group
   * commit); each is fenced on its own lease. Results come in the order given.
   */
  completeDeliveries(completed: readonly CompletedDelivery[]): Promise<CompletionResult[]>;
  /** Extends the leases still held to `until`; returns the job ids whose lease was extended. */
  renewLeases(leases: readonly HeldLease[], until: number): Promise<number[]>;
  /** A test delivery: its event and attempt are logged; the webhook's health is untouched. */
  recordTestAttempt(event: EventRecord, attempt: NewAttempt): Promise<AttemptRecord>;
  /** A new one-attempt job for an event already delivered (or not) to a webhook. */
  enqueueRedelivery(webhookId: string, eventId: string, now: number): Promise<void>;
  /** Newest first. */
  listAttempts(accountId: string, webhookId: string, query: AttemptQuery): Promise<AttemptRecord[]>;
  findAttempt(accountId: string, webhookId: string, attemptId: string): Promise<AttemptRecord | undefined>;
  /** Jobs not yet finished (pending or in flight), for monitoring and tests. */
  countUnfinishedDeliveries(): Promise<number>;
  /** The queue as operators watch it (metrics): what is due, since when, and what runs per account. */
  queueStats(now: number): Promise<QueueStats>;
}
