// Row <-> record mapping shared by both adapters. SQLite returns JSON columns as text and PostgreSQL
// as parsed values; `jsonColumn` smooths that over.
import type {
  ApiKeyRecord,
  DeliveryAttempt,
  DeliveryJob,
  EventRecord,
  NewWebhook,
  WebhookChanges,
  WebhookRecord,
  WebhookView,
} from '../domain/records.ts';
import type { ColumnType, Row } from './sql.ts';

/** A JSON column's value: SQLite returns the text, PostgreSQL the parsed value. */
export const jsonColumn = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;
const nullableNumber = (value: unknown) => (value === null ? null : Number(value));

const WEBHOOK_COLUMNS: Record<keyof WebhookChanges, string> = {
  url: 'url',
  normalizedUrl: 'normalized_url',
  events: 'events',
  description: 'description',
  balanceLowThreshold: 'balance_low_threshold',
  rateLimit: 'rate_limit',
  status: 'status',
  consecutiveFailures: 'consecutive_failures',
};

/** The columns and values to set for `changes` (undefined fields are left alone). */
export function webhookAssignments(changes: WebhookChanges): { columns: string[]; values: unknown[] } {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined) as [
    keyof WebhookChanges,
    unknown,
  ][];
  return {
    columns: entries.map(([field]) => WEBHOOK_COLUMNS[field]),
    values: entries.map(([field, value]) => (field === 'events' ? JSON.stringify(value) : value)),
  };
}

/** The columns of a WebhookView, which a listing selects. */
export const WEBHOOK_VIEW_COLUMNS =
  'id, url, events, description, balance_low_threshold, rate_limit, status, consecutive_failures, last_delivery_at, last_success_at, created_at, seq';

export function webhookViewFromRow(row: Row): WebhookView {
  return {
    id: row.id as string,
    url: row.url as string,
    events: jsonColumn<WebhookRecord['events']>(row.events),
    description: row.description as string | null,
    balanceLowThreshold: row.balance_low_threshold as string | null,
    rateLimit: nullableNumber(row.rate_limit ?? null),
    status: row.status as WebhookRecord['status'],
    consecutiveFailures: Number(row.consecutive_failures),
    lastDeliveryAt: nullableNumber(row.last_delivery_at),
    lastSuccessAt: nullableNumber(row.last_success_at),
    createdAt: Number(row.created_at),
    seq: Number(row.seq),
  };
}

export function webhookFromRow(row: Row): WebhookRecord {
  return {
    ...webhookViewFromRow(row),
    accountId: row.account_id as string,
    normalizedUrl: row.normalized_url as string,
    sealedSecret: row.sealed_secret as string,
    previousSealedSecret: (row.previous_sealed_secret as string | null) ?? null,
    previousSecretExpiresAt: nullableNumber(row.previous_secret_expires_at ?? null),
    failingSince: nullableNumber(row.failing_since ?? null),
  };
}

export function eventFromRow(row: Row, prefix = ''): EventRecord {
  return {
    id: row[`${prefix}id`] as string,
    accountId: row[`${prefix}account_id`] as string,
    type: row[`${prefix}type`] as EventRecord['type'],
    data: jsonColumn<unknown>(row[`${prefix}data`]),
    createdAt: Number(row[`${prefix}created_at`]),
  };
}

/** The SELECT list of a claimed job: the webhook's columns as they are, the job's and event's prefixed. */
export const CLAIMED_COLUMNS = `w.*, j.id AS job_id, j.lease_version AS job_lease, j.trigger AS job_trigger, j.attempts AS job_attempts,
  e.id AS event_id, e.account_id AS event_account_id, e.type AS event_type, e.data AS event_data, e.created_at AS event_created_at`;

export function jobFromRow(row: Row): DeliveryJob {
  return {
    id: Number(row.job_id),
    lease: Number(row.job_lease),
    trigger: row.job_trigger as DeliveryJob['trigger'],
    attempts: Number(row.job_attempts),
    event: eventFromRow(row, 'event_'),
    webhook: webhookFromRow(row),
  };
}

export function attemptFromRow(row: Row): DeliveryAttempt {
  return {
    id: row.id as string,
    seq: Number(row.seq),
    webhookId: row.webhook_id as string,
    eventId: row.event_id as string,
    type: row.type as DeliveryAttempt['type'],
    attempt: Number(row.attempt),
    trigger: row.trigger as DeliveryAttempt['trigger'],
    status: row.status as DeliveryAttempt['status'],
    responseStatus: nullableNumber(row.response_status),
    latencyMs: nullableNumber(row.latency_ms),
    responseBody: row.response_body as string | null,
    error: row.error as string | null,
    errorClass: row.error_class as DeliveryAttempt['errorClass'],
    createdAt: Number(row.created_at),
    nextAttemptAt: nullableNumber(row.next_attempt_at),
    request:
      row.request_url === null || row.request_url === undefined
        ? null
        : { url: row.request_url as string, headers: jsonColumn<Record<string, string>>(row.request_headers) },
    responseHeaders: row.response_headers == null ? null : jsonColumn<Record<string, string>>(row.response_headers),
  };
}

/** The columns of a delivery attempt as written, with their types (a batch is written as a table). */
export const ATTEMPT_COLUMNS = [
  ['id', 'text'],
  ['webhook_id', 'text'],
  ['event_id', 'text'],
  ['type', 'text'],
  ['attempt', 'int'],
  ['trigger', 'text'],
  ['status', 'text'],
  ['response_status', 'int'],
  ['latency_ms', 'int'],
  ['response_body', 'text'],
  ['error', 'text'],
  ['error_class', 'text'],
  ['created_at', 'bigint'],
  ['next_attempt_at', 'bigint'],
  ['request_url', 'text'],
  ['request_headers', 'jsonb'],
  ['response_headers', 'jsonb'],
] as const satisfies readonly (readonly [string, ColumnType])[];

/** An attempt as one row of ATTEMPT_COLUMNS. */
export function attemptRow(attempt: Omit<DeliveryAttempt, 'seq'>): Row {
  return {
    id: attempt.id,
    webhook_id: attempt.webhookId,
    event_id: attempt.eventId,
    type: attempt.type,
    attempt: attempt.attempt,
    trigger: attempt.trigger,
    status: attempt.status,
    response_status: attempt.responseStatus,
    latency_ms: attempt.latencyMs,
    response_body: attempt.responseBody,
    error: attempt.error,
    error_class: attempt.errorClass,
    created_at: attempt.createdAt,
    next_attempt_at: attempt.nextAttemptAt,
    request_url: attempt.request?.url ?? null,
    request_headers: attempt.request?.headers ?? null,
    response_headers: attempt.responseHeaders,
  };
}

export function apiKeyFromRow(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    accountId: row.account_id as string,
    accountName: row.account_name as string,
    scopes: jsonColumn<ApiKeyRecord['scopes']>(row.scopes),
    sealedSecret: row.sealed_secret as string,
    createdAt: Number(row.created_at),
    revokedAt: nullableNumber(row.revoked_at),
  };
}

/** The values of an INSERT INTO webhooks, in WEBHOOK_INSERT_COLUMNS order. */
export const WEBHOOK_INSERT_COLUMNS =
  'id, account_id, url, normalized_url, events, description, balance_low_threshold, rate_limit, status, consecutive_failures, last_delivery_at, last_success_at, created_at, sealed_secret';

export function webhookInsertValues(webhook: NewWebhook): unknown[] {
  return [
    webhook.id,
    webhook.accountId,
    webhook.url,
    webhook.normalizedUrl,
    JSON.stringify(webhook.events),
    webhook.description,
    webhook.balanceLowThreshold,
    webhook.rateLimit,
    webhook.status,
    webhook.consecutiveFailures,
    webhook.lastDeliveryAt,
    webhook.lastSuccessAt,
    webhook.createdAt,
    webhook.sealedSecret,
  ];
}
