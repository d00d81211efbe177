// Fair across accounts, on both stores: one account's endpoints that accept the connection and never
// answer, loaded with more jobs than the worker has slots and queued first, cannot delay another
// account's deliveries. Asserted by cause, not by time: the hanging endpoints never answer while the
// test runs, so every healthy delivery that arrives arrived while they still held their slots.
import { type HttpsEndpoint, startHttpsEndpoint } from '@pipai/testkit/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { type Credentials, startTestApi, type TestApi } from './support/api.ts';
import { STORE_KINDS } from './support/stores.ts';
import { waitUntil } from './support/waiting.ts';

const NEVER_MS = 10 * 60_000;
const POLICY = { concurrency: 8, perWebhookConcurrency: 2, perAccountConcurrency: 4, pollMs: 50 };
const HANGING = 6; // 6 endpoints × 2 slots = 12: more than the worker's 8 slots
const EVENTS = 10;
const keyRotated = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  // Hanging endpoints first: closing them ends the attempts the workers would otherwise wait for.
  for (const close of closers.splice(0).reverse()) await close();
});

async function register(api: TestApi, owner: Credentials, endpoints: HttpsEndpoint[]): Promise<string[]> {
  const ids: string[] = [];
  for (const endpoint of endpoints) {
    const response = await api.request(owner, 'POST', '/v1/webhooks', {
      url: `https://hooks.test:${endpoint.port}/hook`,
      events: ['*'],
    });
    expect(response.status).toBe(201);
    ids.push(response.body.id);
  }
  return ids;
}

describe.each(STORE_KINDS)('fairness across accounts on %s', (kind) => {
  it("another account gets every delivery while one account's hanging endpoints, queued first, hold all they may", async () => {
    const api = await startTestApi(kind, { deliveryTimeoutMs: NEVER_MS, workerPolicy: POLICY });
    closers.push(() => api.close());
    const hanging = await Promise.all(
      Array.from({ length: HANGING }, () => startHttpsEndpoint('valid', 'hooks.test', () => 'hang')),
    );
    const healthy = await Promise.all(Array.from({ length: 2 }, () => startHttpsEndpoint('valid', 'hooks.test')));
    closers.push(
      ...healthy.map((endpoint) => () => endpoint.close()),
      ...hanging.map((endpoint) => () => endpoint.close()),
    );
    const noisy = await api.issueKey('noisy');
    const quiet = await api.issueKey('quiet');
    const noisyIds = await register(api, noisy, hanging);
    await register(api, quiet, healthy);

    // The noisy account's jobs are all queued, and due, before the quiet one's.
    for (let index = 0; index < EVENTS; index += 1) {
      expect(
        (await api.publish({ account: noisy.account, type: 'account.api_key_rotated', data: keyRotated })).status,
      ).toBe(202);
    }
    for (let index = 0; index < EVENTS; index += 1) {
      expect(
        (await api.publish({ account: quiet.account, type: 'account.api_key_rotated', data: keyRotated })).status,
      ).toBe(202);
    }
    api.services.worker.start();

    await waitUntil(
      () => healthy.every((endpoint) => endpoint.received.length >= EVENTS),
      30_000,
      'every quiet delivery',
    );
    await waitUntil(
      () => hanging.reduce((sum, endpoint) => sum + endpoint.received.length, 0) >= POLICY.perAccountConcurrency,
      30_000,
      'the noisy account to fill its slots',
    );
    for (const endpoint of healthy) expect(endpoint.received).toHaveLength(EVENTS);
    // None of the noisy account's attempts has ended: the quiet deliveries all happened while they hung.
    for (const id of noisyIds)
      expect((await api.request(noisy, 'GET', `/v1/webhooks/${id}/deliveries`)).body.data).toEqual([]);
    // The noisy account never had more in flight than its cap, nor any endpoint more than its own.
    expect(hanging.reduce((sum, endpoint) => sum + endpoint.received.length, 0)).toBe(POLICY.perAccountConcurrency);
    for (const endpoint of hanging) expect(endpoint.received.length).toBeLessThanOrEqual(POLICY.perWebhookConcurrency);
    expect((await api.opened.store.queue.stats(Date.now())).inFlightByAccount).toEqual({
      [(await api.opened.store.accounts.findByName(noisy.account))!.id]: POLICY.perAccountConcurrency,
    });
  }, 60_000);
});

describe('fairness across two workers on one PostgreSQL database', () => {
  it('counts the account cap over both workers', async () => {
    const first = await startTestApi('postgres', { deliveryTimeoutMs: NEVER_MS, workerPolicy: POLICY });
    closers.push(() => first.close());
    const second = await startTestApi('postgres', {
      deliveryTimeoutMs: NEVER_MS,
      workerPolicy: POLICY,
      postgresUrl: first.opened.location,
    });
    closers.push(() => second.close());
    const hanging = await Promise.all(
      Array.from({ length: HANGING }, () => startHttpsEndpoint('valid', 'hooks.test', () => 'hang')),
    );
    const healthy = await startHttpsEndpoint('valid', 'hooks.test');
    closers.push(() => healthy.close(), ...hanging.map((endpoint) => () => endpoint.close()));
    const noisy = await first.issueKey('noisy');
    const quiet = await first.issueKey('quiet');
    await register(first, noisy, hanging);
    await register(first, quiet, [healthy]);
    for (let index = 0; index < EVENTS; index += 1) {
      expect(
        (await first.publish({ account: noisy.account, type: 'account.api_key_rotated', data: keyRotated })).status,
      ).toBe(202);
      expect(
        (await first.publish({ account: quiet.account, type: 'account.api_key_rotated', data: keyRotated })).status,
      ).toBe(202);
    }
    first.services.worker.start();
    second.services.worker.start();
    await waitUntil(() => healthy.received.length >= EVENTS, 30_000, 'every quiet delivery');
    await waitUntil(
      () => hanging.reduce((sum, endpoint) => sum + endpoint.received.length, 0) >= POLICY.perAccountConcurrency,
      30_000,
      'the noisy account to fill its slots',
    );
    // Two workers with 8 slots each, yet the noisy account holds its 4, not 8.
    expect(hanging.reduce((sum, endpoint) => sum + endpoint.received.length, 0)).toBe(POLICY.perAccountConcurrency);
    expect(healthy.received).toHaveLength(EVENTS);
  }, 60_000);
});

describe.each(STORE_KINDS)('an endpoint that keeps failing, on %s', (kind) => {
  it('gets a shorter leash: its attempt times out at failingTimeoutMs though the sender allows ten minutes', async () => {
    const api = await startTestApi(kind, {
      deliveryTimeoutMs: NEVER_MS,
      workerPolicy: { ...POLICY, failingTimeoutMs: 200 },
    });
    closers.push(() => api.close());
    const hanging = await startHttpsEndpoint('valid', 'hooks.test', () => 'hang');
    closers.push(() => hanging.close());
    const owner = await api.issueKey('failing');
    const [id] = await register(api, owner, [hanging]);
    const accountId = (await api.opened.store.accounts.findByName(owner.account))!.id;
    await api.opened.store.webhooks.update(accountId, id!, { consecutiveFailures: 3 });
    expect(
      (await api.publish({ account: owner.account, type: 'account.api_key_rotated', data: keyRotated })).status,
    ).toBe(202);
    // The endpoint never answers: only the shorter timeout can end this attempt.
    expect(await api.services.worker.runDue()).toBe(1);
    const log = (await api.request(owner, 'GET', `/v1/webhooks/${id}/deliveries`)).body.data;
    expect(log).toEqual([expect.objectContaining({ status: 'failed', error_class: 'timeout' })]);
  }, 60_000);
});
