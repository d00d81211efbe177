// Row <-> record mapping shared by both adapters. SQLite returns JSON columns as text and PostgreSQL
// as parsed values; `json` smooths that over.
import type { ApiKeyRecord, WebhookChanges, WebhookRecord, WebhookStatus } from './store.ts';

export type Row = Record<string, unknown>;

const json = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T;
const nullableNumber = (value: unknown) => (value === null ? null : Number(value));

export const WEBHOOK_COLUMNS: Record<keyof WebhookChanges, string> = {
  url: 'url',
  normalizedUrl: 'normalized_url',
  events: 'events',
  description: 'description',
  balanceLowThreshold: 'balance_low_threshold',
  status: 'status',
  consecutiveFailures: 'consecutive_failures',
};

/** The columns and values to set for `changes` (undefined fields are left alone). */
export function webhookAssignments(changes: WebhookChanges): { columns: string[]; values: unknown[] } {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined) as [keyof WebhookChanges, unknown][];
  return {
    columns: entries.map(([field]) => WEBHOOK_COLUMNS[field]),
    values: entries.map(([field, value]) => (field === 'events' ? JSON.stringify(value) : value)),
  };
}

export function webhookFromRow(row: Row): WebhookRecord {
  return {
    id: row.id as string,
    accountId: row.account_id as string,
    url: row.url as string,
    normalizedUrl: row.normalized_url as string,
    events: json<string[]>(row.events),
    description: row.description as string | null,
    balanceLowThreshold: row.balance_low_threshold as string | null,
    status: row.status as WebhookStatus,
    consecutiveFailures: Number(row.consecutive_failures),
    lastDeliveryAt: nullableNumber(row.last_delivery_at),
    lastSuccessAt: nullableNumber(row.last_success_at),
    createdAt: Number(row.created_at),
    sealedSecret: row.sealed_secret as string,
    seq: Number(row.seq),
  };
}

export function apiKeyFromRow(row: Row): ApiKeyRecord {
  return {
    id: row.id as string,
    accountId: row.account_id as string,
    accountName: row.account_name as string,
    sealedSecret: row.sealed_secret as string,
    scopes: json<string[]>(row.scopes),
    createdAt: Number(row.created_at),
    revokedAt: nullableNumber(row.revoked_at),
  };
}

/** The values of an INSERT INTO webhooks, in WEBHOOK_INSERT_COLUMNS order. */
export const WEBHOOK_INSERT_COLUMNS =
  'id, account_id, url, normalized_url, events, description, balance_low_threshold, status, consecutive_failures, last_delivery_at, last_success_at, created_at, sealed_secret';

export function webhookInsertValues(webhook: Omit<WebhookRecord, 'seq'>): unknown[] {
  return [
    webhook.id,
    webhook.accountId,
    webhook.url,
    webhook.normalizedUrl,
    JSON.stringify(webhook.events),
    webhook.description,
    webhook.balanceLowThreshold,
    webhook.status,
    webhook.consecutiveFailures,
    webhook.lastDeliveryAt,
    webhook.lastSuccessAt,
    webhook.createdAt,
    webhook.sealedSecret,
  ];
}
