// What the domain stores and reads back: accounts and keys, webhooks, events, delivery jobs (queued
// work) and delivery attempts (one try each: the API's "delivery", `dlv_`). Fields the spec defines
// take their types from the generated schema. Times are epoch milliseconds.
import type { components } from '@pipai/contract';
import type { Scope } from './scopes.ts';

type Schemas = components['schemas'];
export type WebhookStatus = Schemas['WebhookStatus'];
export type EventType = Schemas['EventType'];
export type EventPattern = Schemas['EventPattern'];
export type DeliveryStatus = Schemas['DeliveryStatus'];
export type DeliveryErrorClass = Schemas['DeliveryErrorClass'];
export type DeliveryTrigger = Schemas['Delivery']['trigger'];

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
  scopes: Scope[];
  createdAt: number;
  revokedAt: number | null;
}

export type NewApiKey = Omit<ApiKeyRecord, 'accountName' | 'revokedAt'>;

export interface WebhookRecord {
  id: string;
  accountId: string;
  url: string;
  /** The URL as compared for duplicates (scheme and host lower case, default port dropped). */
  normalizedUrl: string;
  events: EventPattern[];
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

/** What a webhook's API representation shows, and all a listing reads (never the secrets). */
export type WebhookView = Pick<
  WebhookRecord,
  | 'id'
  | 'url'
  | 'events'
  | 'description'
  | 'balanceLowThreshold'
  | 'rateLimit'
  | 'status'
  | 'consecutiveFailures'
  | 'lastDeliveryAt'
  | 'lastSuccessAt'
  | 'createdAt'
  | 'seq'
>;

export type NewWebhook = Omit<
  WebhookRecord,
  'seq' | 'previousSealedSecret' | 'previousSecretExpiresAt' | 'failingSince'
>;

export type WebhookChanges = Partial<
  Pick<
    WebhookRecord,
    'url' | 'normalizedUrl' | 'events' | 'description' | 'balanceLowThreshold' | 'rateLimit' | 'status'
  >
> & { consecutiveFailures?: number };

export interface EventRecord {
  id: string;
  accountId: string;
  type: EventType;
  data: unknown;
  createdAt: number;
}

/** A delivery job the worker has leased: the event, and the webhook as it is now. */
export interface DeliveryJob {
  id: number;
  /** The lease this claim holds: only its holder may renew or complete the job. */
  lease: number;
  /** `event` jobs are retried on the schedule; `redelivery` jobs are one attempt. */
  trigger: Extract<DeliveryTrigger, 'event' | 'redelivery'>;
  /** Attempts this job has made so far. */
  attempts: number;
  event: EventRecord;
  webhook: WebhookRecord;
}

/** A job as one worker holds it. */
export interface HeldLease {
  jobId: number;
  lease: number;
}

export interface NewDeliveryAttempt {
  id: string;
  webhookId: string;
  eventId: string;
  type: EventType;
  trigger: DeliveryTrigger;
  status: DeliveryStatus;
  responseStatus: number | null;
  latencyMs: number | null;
  responseBody: string | null;
  error: string | null;
  errorClass: DeliveryErrorClass;
  createdAt: number;
  nextAttemptAt: number | null;
  /** What was sent (the body is the event's envelope); null for attempts logged before it was kept. */
  request: SentRequest | null;
  /** The endpoint's response headers (bounded), or null when no response arrived. */
  responseHeaders: Record<string, string> | null;
}

export interface SentRequest {
  url: string;
  headers: Record<string, string>;
}

export interface DeliveryAttempt extends NewDeliveryAttempt {
  seq: number;
  /** 1 for the first attempt of this event to this webhook, counting every later one. */
  attempt: number;
}

/** What became of one job's attempt, as the worker reports it. */
export interface JobOutcome {
  jobId: number;
  /** Completion is fenced: refused unless this is still the job's current lease. */
  lease: number;
  attempt: NewDeliveryAttempt;
  /** After a failure, when to try again; null when the job gives up. Ignored after a success. */
  retryAt: number | null;
  /** The endpoint answered 410 Gone: the webhook breaks at once. */
  gone: boolean;
  /** A webhook failing continuously this long breaks. */
  brokenAfterMs: number;
}

export type JobOutcomeResult =
  | { outcome: 'recorded'; attempt: DeliveryAttempt; webhookBroke: boolean }
  /** Another worker holds the job now (this one's lease expired): nothing was recorded. */
  | { outcome: 'lease_lost' }
  /** The webhook was deleted while the attempt was under way. */
  | { outcome: 'webhook_deleted' };

export interface BalanceCrossing {
  webhookId: string;
  below: boolean;
  /** The account.balance_low event to publish to this webhook if this report moves it below. */
  event: EventRecord;
}
