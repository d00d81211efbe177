// Store records built directly, for tests that seed the store without going through the API.
import type { NewWebhook } from '../../src/domain/records.ts';

let counter = 0;

/** A new webhook record with a unique id and URL; `overrides` set anything else. */
export function webhookRecord(accountId: string, overrides: Partial<NewWebhook> = {}): NewWebhook {
  counter += 1;
  const id = `wh_${counter.toString(16).padStart(8, '0')}`;
  return {
    id,
    accountId,
    url: `https://example.com/${id}`,
    normalizedUrl: `https://example.com/${id}`,
    events: ['strategy.deployed'],
    description: null,
    balanceLowThreshold: null,
    rateLimit: null,
    status: 'active',
    consecutiveFailures: 0,
    lastDeliveryAt: null,
    lastSuccessAt: null,
    createdAt: 2_000 + counter,
    sealedSecret: 'v1.sealed',
    ...overrides,
  };
}
