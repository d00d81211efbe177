// One hanging endpoint and one failing endpoint must not slow the others: the worker runs for real
// (its own loop, real time), ten healthy receivers keep getting every event within their normal latency.
import { startHttpsEndpoint, type HttpsEndpoint } from '@pipai/testkit/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type Credentials, type TestApi } from './support/api.ts';
import { STORE_KINDS } from './support/stores.ts';

const TIMEOUT_MS = 3_000;
const EVENTS = 20;

describe.each(STORE_KINDS)('isolation on %s', (kind) => {
  let api: TestApi;
  let owner: Credentials;
  let healthy: HttpsEndpoint[];
  let hanging: HttpsEndpoint;
  let failing: HttpsEndpoint;

  beforeAll(async () => {
    api = await startTestApi(kind, { deliveryTimeoutMs: TIMEOUT_MS, workerPolicy: { perWebhookConcurrency: 4, pollMs: 50 } });
    owner = await api.issueKey('isolation');
    healthy = await Promise.all(Array.from({ length: 10 }, () => startHttpsEndpoint('valid', 'hooks.test')));
    hanging = await startHttpsEndpoint('valid', 'hooks.test', () => 'hang');
    failing = await startHttpsEndpoint('valid', 'hooks.test', () => ({ status: 500 }));
    for (const endpoint of [hanging, failing, ...healthy]) {
      const response = await api.request(owner, 'POST', '/v1/webhooks', { url: `https://hooks.test:${endpoint.port}/hook`, events: ['*'] });
      expect(response.status).toBe(201);
    }
    api.services.worker.start();
  });
  afterAll(async () => {
    await api.close();
    for (const endpoint of [hanging, failing, ...healthy]) await endpoint.close();
  });

  it('healthy receivers get every event long before the hanging one times out', async () => {
    const published: Record<string, number> = {};
    const started = Date.now();
    for (let index = 0; index < EVENTS; index += 1) {
      const response = await api.publish({
        account: owner.account,
        type: 'account.api_key_rotated',
        data: { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' },
      });
      published[response.body.events[0].id] = Date.now();
    }
    const deadline = started + TIMEOUT_MS;
    while (healthy.some((endpoint) => endpoint.received.length < EVENTS) && Date.now() < deadline + 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const latencies = healthy.flatMap((endpoint) => endpoint.received.map((request) => request.at - published[String(request.headers['webhook-id'])]!));
    for (const endpoint of healthy) expect(endpoint.received).toHaveLength(EVENTS);
    // Every healthy delivery arrived while the hanging endpoint still held its slots: no head-of-line blocking.
    const lastArrival = Math.max(...healthy.flatMap((endpoint) => endpoint.received.map((request) => request.at)));
    expect(lastArrival).toBeLessThan(deadline);
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(1_000);
    // The hanging endpoint never had more than its per-webhook cap of deliveries open at once.
    expect(hanging.received.length).toBeLessThanOrEqual(4);
    expect(failing.received.length).toBeGreaterThan(0);
  }, 30_000);

  it('the hanging endpoint\'s attempts end as timeouts, the failing one\'s as http errors', async () => {
    const webhooks = (await api.request(owner, 'GET', '/v1/webhooks?limit=100')).body.data as { id: string; url: string }[];
    const idOf = (endpoint: HttpsEndpoint) => webhooks.find((webhook) => webhook.url.includes(`:${endpoint.port}/`))!.id;
    const deadline = Date.now() + TIMEOUT_MS + 5_000;
    let hangingLog: { error_class: string }[] = [];
    while (Date.now() < deadline) {
      hangingLog = (await api.request(owner, 'GET', `/v1/webhooks/${idOf(hanging)}/deliveries`)).body.data;
      if (hangingLog.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(hangingLog[0]?.error_class).toBe('timeout');
    const failingLog = (await api.request(owner, 'GET', `/v1/webhooks/${idOf(failing)}/deliveries`)).body.data;
    expect(failingLog[0]).toMatchObject({ error_class: 'http', response_status: 500 });
  }, 30_000);
});
