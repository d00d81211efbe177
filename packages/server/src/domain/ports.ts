// What the domain needs from outside it: storage, as narrow repositories (each service is given
// only the ones it uses), and the network's delivery sender. The SQLite and PostgreSQL adapters implement every one of them once (store/repositories/),
// and test/store.test.ts runs one suite against both. Decisions stay in the domain: a repository
// persists outcomes and answers queries, atomically where its comment says so.
import type {
  AccountRecord,
  ApiKeyRecord,
  BalanceCrossing,
  DeliveryAttempt,
  DeliveryErrorClass,
  DeliveryJob,
  DeliveryStatus,
  EventRecord,
  EventType,
  HeldLease,
  JobOutcome,
  JobOutcomeResult,
  NewApiKey,
  NewDeliveryAttempt,
  NewWebhook,
  WebhookChanges,
  WebhookRecord,
  WebhookStatus,
  WebhookView,
} from './records.ts';

export interface AccountRepository {
  /** Creates the account unless one has this name; returns the stored one either way. */
  ensure(account: AccountRecord): Promise<AccountRecord>;
  findByName(name: string): Promise<AccountRecord | undefined>;
  insertKey(key: NewApiKey): Promise<void>;
  findKey(id: string): Promise<ApiKeyRecord | undefined>;
  listKeys(accountName?: string): Promise<ApiKeyRecord[]>;
  revokeKey(id: string, at: number): Promise<boolean>;
  replaceKeySecret(id: string, sealedSecret: string): Promise<boolean>;
  countKeys(): Promise<number>;
}

/** What proves the master key: the canary, and the sealed secrets a key must open before there is one. */
export interface KeyringRepository {
  /** The master-key canary (a constant sealed with the master key); undefined until a start writes it. */
  readCanary(): Promise<string | undefined>;
  /** Stores the canary unless one is stored already; returns the stored one (a concurrent start may win). */
  writeCanary(sealed: string, at: number): Promise<string>;
  /** A few stored sealed secrets (API keys', webhooks'). */
  sampleSealedSecrets(limit: number): Promise<string[]>;
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

export interface AdmissionRequest {
  signature: string;
  /** The request's timestamp (X-PipAI-Timestamp): a replay carries the same one. */
  signedAt: number;
  /** How long a signature stays remembered after its timestamp: the signature window. */
  replayWindowMs: number;
  /** Whose budget pays: the API key id. */
  subject: string;
  weight: number;
  budget: WeightBudget;
}

export type AdmissionOutcome = { replayed: true } | { replayed: false; charge: WeightCharge };

/** What admits a request: seen signatures (replay protection) and rolling weight budgets. */
export interface AdmissionRepository {
  /**
   * Admits authentic requests in order, atomically across processes: records each signature for its
   * replay window (a signature already recorded is a replay, and nothing is charged), then spends
   * its weight from the key's budget. One transaction for the whole batch, as every signed request
   * pays for one; the outcomes are in the requests' order.
   */
  admit(requests: readonly AdmissionRequest[], now: number): Promise<AdmissionOutcome[]>;
  /** Spends `weight` from the subject's rolling-window budget, atomically across processes. */
  spendWeight(subject: string, weight: number, now: number, budget: WeightBudget): Promise<WeightCharge>;
}

export type InsertWebhookResult = 'created' | 'duplicate_url' | 'limit_reached' | 'id_taken';

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

export interface WebhookRepository {
  /** Inserts unless the account already has `maxPerAccount` webhooks or this normalized URL; atomic. */
  insert(webhook: NewWebhook, maxPerAccount: number): Promise<InsertWebhookResult>;
  find(accountId: string, id: string): Promise<WebhookRecord | undefined>;
  /** Newest first (by seq). */
  /** One page of the account's webhooks, newest first, as a listing shows them. */
  list(accountId: string, query: WebhookQuery): Promise<WebhookView[]>;
  /** The account's active webhooks, oldest first. */
  listActive(accountId: string): Promise<WebhookRecord[]>;
  /** A new balance threshold also forgets the webhook's recorded crossings. */
  update(accountId: string, id: string, changes: WebhookChanges): Promise<UpdateWebhookResult>;
  delete(accountId: string, id: string): Promise<boolean>;
  /** Replaces the signing secret; the previous one keeps signing until `previousExpiresAt`. */
  rotateSecret(
    accountId: string,
    id: string,
    sealedSecret: string,
    previousExpiresAt: number,
  ): Promise<WebhookRecord | undefined>;
}

/** The outbox: events are stored with their delivery jobs in one transaction. */
export interface EventRepository {
  /**
   * Stores the event and one pending delivery job for each of the account's active webhooks that
   * `deliverTo` selects. Returns the selected webhook ids.
   */
  insert(event: EventRecord, deliverTo: (activeWebhooks: WebhookRecord[]) => string[]): Promise<string[]>;
  /**
   * Records, per webhook, whether `asset` is below its threshold now. A webhook that moves to below
   * (from above or from unknown) gets its event stored with one job, atomically; those events return.
   */
  recordBalanceCrossings(asset: string, crossings: readonly BalanceCrossing[]): Promise<EventRecord[]>;
  /** The account's events (never a test delivery's), newest first. */
  list(accountId: string, query: EventQuery): Promise<(EventRecord & { seq: number })[]>;
  /** One event of the account (never a test delivery's). */
  find(accountId: string, id: string): Promise<EventRecord | undefined>;
}

export interface EventQuery {
  type?: EventType;
  /** Published at or after. */
  since?: number;
  /** Published before. */
  until?: number;
  /** Only events inserted before this position (exclusive): the keyset cursor. */
  beforeSeq?: number;
  limit: number;
}

export interface PrunedRows {
  attempts: number;
  jobs: number;
  events: number;
}

export interface RetentionRepository {
  /**
   * Deletes, at most `batch` of each: attempts made before `before`; finished jobs of events
   * published before it; and those events once no job refers to them.
   */
  pruneBefore(before: number, batch: number): Promise<PrunedRows>;
}

export interface ClaimOptions {
  limit: number;
  leaseMs: number;
  /** In-flight caps, counted over every worker: per webhook, and per account. */
  perWebhook: number;
  perAccount: number;
}

export interface QueueStats {
  /** Pending jobs due now (their webhook active, or a redelivery). */
  due: number;
  /** The due time of the oldest of them; null when none is due. */
  oldestDueAt: number | null;
  /** Jobs under an unexpired lease, per account id. */
  inFlightByAccount: Record<string, number>;
}

/** What a recovery queues again: the webhook's missed events of these types in [from, until). */
export interface Recovery {
  accountId: string;
  webhookId: string;
  types: readonly EventType[];
  /** Types whose events are each addressed to one webhook: only those addressed to this one count. */
  addressedTypes: readonly EventType[];
  from: number;
  until: number;
  limit: number;
}

export interface RecoveredEvents {
  eventIds: string[];
  /** Where the next recovery continues when more events than `limit` were missed; else null. */
  nextFrom: number | null;
}

/** The delivery queue: what the worker claims, renews and completes. */
export interface DeliveryQueue {
  /** Leases due jobs (and jobs whose lease expired: their worker died), chosen by the claim policy. */
  claim(now: number, options: ClaimOptions): Promise<DeliveryJob[]>;
  /**
   * Records attempts, moves their jobs on and keeps their webhooks' health, in one transaction (group
   * commit), as delivery-rules.ts decides; each is fenced on its own lease. Results come in the order given.
   */
  complete(outcomes: readonly JobOutcome[]): Promise<JobOutcomeResult[]>;
  /**
   * `complete`, then `claim`, in one transaction: a busy worker refills the slots its outcomes free
   * with one commit per batch instead of two.
   */
  completeAndClaim(
    outcomes: readonly JobOutcome[],
    now: number,
    options: ClaimOptions,
  ): Promise<{ results: JobOutcomeResult[]; claimed: DeliveryJob[] }>;
  /** Extends the leases still held to `until`; returns the job ids whose lease was extended. */
  renew(leases: readonly HeldLease[], until: number): Promise<number[]>;
  /**
   * A new one-attempt job for an event already delivered (or not) to a webhook. False when the
   * event is gone (past retention): nothing was queued.
   */
  enqueueRedelivery(webhookId: string, eventId: string, now: number): Promise<boolean>;
  /**
   * Queues as redeliveries, oldest first and at most `limit`, the account's events published in
   * [from, until) whose type is one of `types` (never a test delivery's), that the webhook has not
   * received successfully and has no delivery waiting for. One recovery of a webhook at a time.
   */
  recoverMissed(recovery: Recovery, now: number): Promise<RecoveredEvents>;
  /** The webhooks a delivery of the event is queued or under way for. */
  webhooksWaitingFor(eventId: string): Promise<string[]>;
  /** Jobs not yet finished (pending or in flight), for monitoring and tests. */
  countUnfinished(): Promise<number>;
  /** The queue as operators watch it (metrics): what is due, since when, and what runs per account. */
  stats(now: number): Promise<QueueStats>;
}

export interface AttemptQuery {
  status?: DeliveryStatus;
  type?: string;
  eventId?: string;
  beforeSeq?: number;
  limit: number;
}

/** The delivery log: every attempt, as the API lists it. */
export interface AttemptLog {
  /**
   * A test delivery's event, stored before it is sent and returned as stored: the body sent is
   * then the one the delivery log shows (PostgreSQL's jsonb orders an object's keys its own way).
   */
  storeTestEvent(event: EventRecord): Promise<EventRecord>;
  /** A test delivery's attempt; the webhook's health is untouched. */
  recordTest(attempt: NewDeliveryAttempt): Promise<DeliveryAttempt>;
  /** Newest first. */
  list(accountId: string, webhookId: string, query: AttemptQuery): Promise<DeliveryAttempt[]>;
  find(accountId: string, webhookId: string, attemptId: string): Promise<DeliveryAttempt | undefined>;
  /** Every attempt to deliver the event to the account's webhooks, oldest first. */
  listForEvent(accountId: string, eventId: string): Promise<DeliveryAttempt[]>;
  /** An attempt with its event (undefined once the event is past retention). */
  findWithEvent(
    accountId: string,
    webhookId: string,
    attemptId: string,
  ): Promise<{ attempt: DeliveryAttempt; event: EventRecord | undefined } | undefined>;
}

// The network: one POST of a delivery, its outcome classified (net/delivery-sender.ts).

export interface SendOutcome {
  succeeded: boolean;
  responseStatus: number | null;
  latencyMs: number;
  /** The first 1024 characters of the response body. */
  responseBody: string | null;
  /** The response headers, lower case, at most 50 and each value cut at 1024 characters; null without a response. */
  responseHeaders: Record<string, string> | null;
  error: string | null;
  errorClass: DeliveryErrorClass;
  /** From a Retry-After header on a 429 or 503. */
  retryAfterMs: number | undefined;
  /** The endpoint answered 410 Gone. */
  gone: boolean;
}

export interface SendOptions {
  /** A shorter timeout than the sender's own, for this attempt only. */
  timeoutMs?: number;
}

export interface DeliverySender {
  send(url: string, headers: Record<string, string>, body: string, options?: SendOptions): Promise<SendOutcome>;
}
