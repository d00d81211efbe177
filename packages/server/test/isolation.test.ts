// One hanging endpoint and one failing endpoint must not hold up the others: the worker runs for real
// (its own loop), and ten healthy receivers get every event while the hanging one's requests are all
// still open. Nothing here depends on how fast the machine is: the hanging endpoint's attempts stay
// open until the test ends, so there is no race between the healthy deliveries and a timeout.
import { type HttpsEndpoint, startHttpsEndpoint } from '@pipai/testkit/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Credentials, startTestApi, type TestApi } from './support/api.ts';
import { tickingClock } from './support/clock.ts';
import { STORE_KINDS } from './support/stores.ts';
import { waitUntil } from './support/waiting.ts';

const EVENTS = 20;
const PER_WEBHOOK = 4;
// Longer than anything here waits: no attempt of the hanging endpoint ends while the test runs.
const NEVER_MS = 10 * 60_000;
const keyRotated = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };

describe.each(STORE_KINDS)('isolation on %s', (kind) => {
  let api: TestApi;
  let owner: Credentials;
  let healthy: HttpsEndpoint[];
  let hanging: HttpsEndpoint;
  let failing: HttpsEndpoint;
  const ids = new Map<HttpsEndpoint, string>();
  const attemptsOf = async (endpoint: HttpsEndpoint) =>
    (await api.request(owner, 'GET', `/v1/webhooks/${ids.get(endpoint)}/deliveries`)).body.data as {
      error_class: string | null;
      response_status: number | null;
    }[];

  beforeAll(async () => {
    api = await startTestApi(kind, {
      deliveryTimeoutMs: NEVER_MS,
      workerPolicy: { perWebhookConcurrency: PER_WEBHOOK, pollMs: 50 },
    });
    owner = await api.issueKey('isolation');
    healthy = await Promise.all(Array.from({ length: 10 }, () => startHttpsEndpoint('valid', 'hooks.test')));
    hanging = await startHttpsEndpoint('valid', 'hooks.test', () => 'hang');
    failing = await startHttpsEndpoint('valid', 'hooks.test', () => ({ status: 500 }));
    for (const endpoint of [hanging, failing, ...healthy]) {
      const response = await api.request(owner, 'POST', '/v1/webhooks', {
        url: `https://hooks.test:${endpoint.port}/hook`,
        events: ['*'],
      });
      expect(response.status).toBe(201);
      ids.set(endpoint, response.body.id);
    }
    api.services.worker.start();
  });
  afterAll(async () => {
    // The hanging endpoint first: closing it ends the attempts the worker would otherwise wait for.
    await hanging.close();
    await api.close();
    for (const endpoint of [failing, ...healthy]) await endpoint.close();
  });

  it('healthy receivers get every event while the hanging one holds all its slots', async () => {
    for (let index = 0; index < EVENTS; index += 1) {
      const response = await api.publish({ account: owner.account, type: 'account.api_key_rotated', data: keyRotated });
      const errors = api.logs.filter((line) => /"level":(50|60)/.test(line));
      expect(response.status, `${JSON.stringify(response.body)}\n${errors.join('\n')}`).toBe(202);
    }
    await waitUntil(
      () => healthy.every((endpoint) => endpoint.received.length >= EVENTS),
      30_000,
      'every healthy delivery',
    );
    await waitUntil(() => hanging.received.length >= PER_WEBHOOK, 30_000, 'the hanging endpoint to fill its slots');
    for (const endpoint of healthy) {
      expect(endpoint.received).toHaveLength(EVENTS);
      expect(new Set(endpoint.received.map((request) => request.headers['webhook-id'])).size).toBe(EVENTS);
    }
    // None of the hanging endpoint's attempts has ended (nothing logged), so every healthy delivery
    // above was made while it held its slots: no head-of-line blocking.
    expect(await attemptsOf(hanging)).toEqual([]);
    // It never had more than its per-webhook cap of deliveries open at once.
    expect(hanging.received).toHaveLength(PER_WEBHOOK);
  }, 60_000);

  it("the failing endpoint's attempts end as http errors while the hanging one's are still open", async () => {
    await waitUntil(async () => (await attemptsOf(failing)).length > 0, 30_000, 'an attempt at the failing endpoint');
    expect((await attemptsOf(failing))[0]).toMatchObject({ error_class: 'http', response_status: 500 });
    expect(await attemptsOf(hanging)).toEqual([]);
  }, 60_000);
});

describe.each(STORE_KINDS)('a hanging endpoint on %s', (kind) => {
  it('its attempt ends as a timeout', async () => {
    // A clock that only moves by a tick per reading: the retry 5 s later never becomes due here.
    const clock = tickingClock();
    const api = await startTestApi(kind, { clock, deliveryTimeoutMs: 200 });
    const hanging = await startHttpsEndpoint('valid', 'hooks.test', () => 'hang');
    try {
      const owner = await api.issueKey('isolation-timeout');
      const created = await api.request(owner, 'POST', '/v1/webhooks', {
        url: `https://hooks.test:${hanging.port}/hook`,
        events: ['*'],
      });
      expect(created.status).toBe(201);
      expect(
        (await api.publish({ account: owner.account, type: 'account.api_key_rotated', data: keyRotated })).status,
      ).toBe(202);
      // The endpoint never answers, so however long the attempt takes, it can only end by the timeout.
      expect(await api.services.worker.runDue()).toBe(1);
      const log = (await api.request(owner, 'GET', `/v1/webhooks/${created.body.id}/deliveries`)).body.data;
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ status: 'failed', error_class: 'timeout', response_status: null });
    } finally {
      await hanging.close();
      await api.close();
    }
  });
});
