// Deliveries end to end on both stores, with real HTTPS receivers on loopback (a test CA) and a clock
// the test moves: fan-out, signatures, retries, health, rotation, test, the log, redelivery, balances.
import { type HttpsEndpoint, type ReceivedRequest, startHttpsEndpoint } from '@pipai/testkit/pki';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETRY_DELAYS_MS } from '../src/domain/retry-policy.ts';
import { type Credentials, startTestApi, type TestApi } from './support/api.ts';
import { tickingClock } from './support/clock.ts';
import { STORE_KINDS } from './support/stores.ts';

const clock = tickingClock();
const BROKEN_AFTER_MS = 3 * 3_600_000;

const deployed = {
  strategy_id: 'stg_7d2c90e1',
  name: 'BTC',
  version: 1,
  mode: 'live',
  exchange: 'binance',
  symbols: ['BTC-USDT'],
  deployed_at: '2026-11-22T12:00:00Z',
};

/** Verifies a received delivery with the public standardwebhooks library; returns the event. */
function verified(request: ReceivedRequest, secret: string, now = clock.time) {
  const realNow = Date.now;
  Date.now = () => now;
  try {
    return new Webhook(`whsec_${Buffer.from(secret, 'base64url').toString('base64')}`).verify(
      request.body,
      request.headers as Record<string, string>,
    ) as {
      id: string;
      type: string;
      data: Record<string, unknown>;
    };
  } finally {
    Date.now = realNow;
  }
}

describe.each(STORE_KINDS)('deliveries on %s', (kind) => {
  let api: TestApi;
  let owner: Credentials;
  const endpoints: HttpsEndpoint[] = [];

  const endpoint = async () => {
    const created = await startHttpsEndpoint('valid', 'hooks.test');
    endpoints.push(created);
    return created;
  };
  const register = async (target: HttpsEndpoint, events: string[], extra: object = {}) => {
    const response = await api.request(owner, 'POST', '/v1/webhooks', {
      url: `https://hooks.test:${target.port}/${Math.random().toString(36).slice(2)}`,
      events,
      ...extra,
    });
    expect(response.status).toBe(201);
    return response.body as { id: string; secret: string };
  };
  const publish = async (type: string, data: object) => {
    const response = await api.publish({ account: owner.account, type, data });
    expect(response.status).toBe(202);
    return response.body.events[0].id as string;
  };
  const deliverDue = () => api.services.worker.runDue();
  const webhookOf = async (id: string) => (await api.request(owner, 'GET', `/v1/webhooks/${id}`)).body;
  const attemptsOf = async (id: string, query = '') =>
    (await api.request(owner, 'GET', `/v1/webhooks/${id}/deliveries${query}`)).body;

  const jobDone = {
    job_id: 'bt_51e0a7c3',
    strategy_id: 'stg_7d2c90e1',
    duration_ms: 1,
    metrics: { total_return: '0.1', max_drawdown: '0.05', sharpe_ratio: 1.2, trades: 3 },
    report_url: 'https://app.pipai.example/backtests/bt_51e0a7c3',
    finished_at: '2026-11-22T12:00:00Z',
  };
  const keyRotated = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };

  beforeAll(async () => {
    api = await startTestApi(kind, { clock, workerPolicy: { brokenAfterMs: BROKEN_AFTER_MS, random: () => 0.5 } });
    owner = await api.issueKey('deliveries');
  });
  afterAll(async () => {
    await api.close();
    for (const each of endpoints) await each.close();
  });

  it('publishing is authenticated with the internal token and validates the payload against the spec', async () => {
    expect(
      (await api.publish({ account: owner.account, type: 'strategy.deployed', data: deployed }, 'wrong')).status,
    ).toBe(401);
    const bad = await api.publish({
      account: owner.account,
      type: 'strategy.deployed',
      data: { ...deployed, mode: 'simulation', extra: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((error: { parameter: string }) => error.parameter).sort()).toEqual([
      'data.extra',
      'data.mode',
    ]);
    const derived = await api.publish({ account: owner.account, type: 'account.balance_low', data: {} });
    expect(derived.status).toBe(400);
    expect(derived.body.errors[0].parameter).toBe('type');
    expect((await api.publish({ account: 'nobody', type: 'strategy.deployed', data: deployed })).status).toBe(404);
  });

  it('fans out each event to exactly the active webhooks whose events cover it, signed as documented', async () => {
    const subscriptions = [
      ['*'],
      ['strategy.*'],
      ['backtest.*'],
      ['account.*'],
      ['strategy.deployed'],
      ['backtest.job_done', 'account.api_key_rotated'],
    ];
    const receivers = await Promise.all(subscriptions.map(() => endpoint()));
    const webhooks = await Promise.all(receivers.map((receiver, index) => register(receiver, subscriptions[index]!)));
    const paused = await endpoint();
    const pausedHook = await register(paused, ['*']);
    await api.request(owner, 'PATCH', `/v1/webhooks/${pausedHook.id}`, { status: 'paused' });

    const ids = {
      'strategy.deployed': await publish('strategy.deployed', deployed),
      'backtest.job_done': await publish('backtest.job_done', jobDone),
      'account.api_key_rotated': await publish('account.api_key_rotated', keyRotated),
    };
    await deliverDue();

    const expected = [
      ['strategy.deployed', 'backtest.job_done', 'account.api_key_rotated'],
      ['strategy.deployed'],
      ['backtest.job_done'],
      ['account.api_key_rotated'],
      ['strategy.deployed'],
      ['backtest.job_done', 'account.api_key_rotated'],
    ];
    receivers.forEach((receiver, index) => {
      const events = receiver.received.map((request) => verified(request, webhooks[index]!.secret));
      expect(events.map((event) => event.type).sort(), subscriptions[index]!.join()).toEqual(
        [...expected[index]!].sort(),
      );
      for (const [request, event] of receiver.received.map((request, i) => [request, events[i]!] as const)) {
        expect(request.headers['webhook-id']).toBe(event.id);
        expect(event.id).toBe(ids[event.type as keyof typeof ids]);
        expect(request.headers['user-agent']).toBe('PipAI-Webhooks/1.0');
      }
    });
    expect(paused.received).toEqual([]);
    const first = await webhookOf(webhooks[0]!.id);
    expect(first).toMatchObject({ consecutive_failures: 0, status: 'active' });
    expect(first.last_delivery_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(first.last_success_at).toBe(first.last_delivery_at);
  });

  it("retries failures on the schedule, keeps the seed's counters, and honours Retry-After", async () => {
    const receiver = await endpoint();
    receiver.respondWith(() => ({ status: 503, body: 'down' }));
    const webhook = await register(receiver, ['strategy.deployed']);
    const eventId = await publish('strategy.deployed', deployed);
    await deliverDue();
    expect(receiver.received).toHaveLength(1);
    let state = await webhookOf(webhook.id);
    expect(state).toMatchObject({ consecutive_failures: 1, last_success_at: null, status: 'active' });
    const [firstAttempt] = (await attemptsOf(webhook.id)).data;
    expect(firstAttempt).toMatchObject({
      attempt: 1,
      trigger: 'event',
      status: 'failed',
      response_status: 503,
      error_class: 'http',
      response_body: 'down',
    });
    // Jitter pinned at the midpoint: exactly the schedule's first delay.
    expect(Date.parse(firstAttempt.next_attempt_at) - Date.parse(firstAttempt.created_at)).toBeGreaterThanOrEqual(
      RETRY_DELAYS_MS[0]! - 1000,
    );

    await deliverDue();
    expect(receiver.received).toHaveLength(1); // not due yet
    clock.time += RETRY_DELAYS_MS[0]!;
    receiver.respondWith(() => ({ status: 429, headers: { 'retry-after': '600' } }));
    await deliverDue();
    expect(receiver.received).toHaveLength(2);
    const [second] = (await attemptsOf(webhook.id)).data;
    expect(second).toMatchObject({ attempt: 2, trigger: 'retry', response_status: 429 });
    // Retry-After 600 s is later than the schedule's 5 min: it wins.
    expect(Date.parse(second.next_attempt_at) - Date.parse(second.created_at)).toBeGreaterThanOrEqual(599_000);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(eventId);

    clock.time += 600_000;
    receiver.respondWith(() => ({ status: 200 }));
    await deliverDue();
    state = await webhookOf(webhook.id);
    expect(state.consecutive_failures).toBe(0);
    expect(state.last_success_at).toBe(state.last_delivery_at);
    const log = (await attemptsOf(webhook.id)).data;
    expect(log.map((attempt: { status: string }) => attempt.status)).toEqual(['succeeded', 'failed', 'failed']);
    expect(log[0].next_attempt_at).toBeNull();
    // Every attempt carried the same body and webhook-id.
    expect(new Set(receiver.received.map((request) => request.body)).size).toBe(1);
  });

  it('a 410 Gone breaks the webhook at once; it receives nothing until set back to active', async () => {
    const receiver = await endpoint();
    receiver.respondWith(() => ({ status: 410 }));
    const webhook = await register(receiver, ['backtest.*']);
    await publish('backtest.job_done', jobDone);
    await publish('backtest.job_done', jobDone);
    await deliverDue();
    expect(receiver.received.length).toBeLessThanOrEqual(2);
    expect((await webhookOf(webhook.id)).status).toBe('broken');
    const before = receiver.received.length;
    await publish('backtest.job_done', jobDone);
    clock.time += 24 * 3_600_000;
    await deliverDue();
    expect(receiver.received).toHaveLength(before);

    receiver.respondWith(() => ({ status: 200 }));
    const revived = await api.request(owner, 'PATCH', `/v1/webhooks/${webhook.id}`, { status: 'active' });
    expect(revived.body).toMatchObject({ status: 'active', consecutive_failures: 0 });
    await publish('backtest.job_done', jobDone);
    await deliverDue();
    expect(receiver.received).toHaveLength(before + 1);
  });

  it('a webhook failing continuously for the broken-after period becomes broken and its retries stop', async () => {
    const receiver = await endpoint();
    receiver.respondWith(() => ({ status: 500 }));
    const webhook = await register(receiver, ['strategy.deployed']);
    await publish('strategy.deployed', deployed);
    let attempts = 0;
    for (let step = 0; step < 6; step += 1) {
      await deliverDue();
      attempts = receiver.received.length;
      clock.time += RETRY_DELAYS_MS[step]! * 1.2;
    }
    // 5 s + 5 min + 30 min + 2 h > 2 h 35 min, then the 5 h step crosses the 3 h window.
    const state = await webhookOf(webhook.id);
    expect(state.status).toBe('broken');
    expect(state.consecutive_failures).toBe(attempts);
    clock.time += 48 * 3_600_000;
    await deliverDue();
    expect(receiver.received).toHaveLength(attempts);
    expect((await attemptsOf(webhook.id)).data[0].next_attempt_at).toBeNull();
  });

  it("signs with both secrets during a rotation's grace period, then with the new one only", async () => {
    const receiver = await endpoint();
    const webhook = await register(receiver, ['strategy.deployed']);
    const rotation = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/secret/rotate`, {
      grace_period_seconds: 3600,
    });
    expect(rotation.status).toBe(200);
    expect(rotation.body.secret).not.toBe(webhook.secret);
    expect(Date.parse(rotation.body.previous_secret_expires_at) - clock.time).toBeGreaterThan(3_590_000);
    await publish('strategy.deployed', deployed);
    await deliverDue();
    const during = receiver.received.at(-1)!;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(during, webhook.secret).type).toBe('strategy.deployed');
    expect(verified(during, rotation.body.secret).type).toBe('strategy.deployed');

    clock.time += 3_601_000;
    await publish('strategy.deployed', deployed);
    await deliverDue();
    const after = receiver.received.at(-1)!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => verified(after, webhook.secret)).toThrow();
    expect(verified(after, rotation.body.secret).type).toBe('strategy.deployed');
  });

  it("test sends one signed delivery now, logs it, and leaves the webhook's health alone", async () => {
    const receiver = await endpoint();
    receiver.respondWith(() => ({ status: 202, body: '{"received":true}' }));
    const webhook = await register(receiver, ['backtest.*']);
    await api.request(owner, 'PATCH', `/v1/webhooks/${webhook.id}`, { status: 'paused' });
    const result = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/test`);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      success: true,
      response_status: 202,
      response_body: '{"received":true}',
      type: 'backtest.job_started',
      error: null,
    });
    const [request] = receiver.received;
    expect(request!.headers['webhook-signature']).toBe(result.body.request_headers['webhook-signature']);
    expect(verified(request!, webhook.secret)).toMatchObject({
      id: result.body.event_id,
      type: 'backtest.job_started',
    });
    expect((await attemptsOf(webhook.id)).data[0]).toMatchObject({
      id: result.body.delivery_id,
      trigger: 'test',
      status: 'succeeded',
    });
    expect(await webhookOf(webhook.id)).toMatchObject({
      last_delivery_at: null,
      consecutive_failures: 0,
      status: 'paused',
    });

    const chosen = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/test`, { type: 'strategy.error' });
    expect(chosen.body.type).toBe('strategy.error');
    await receiver.close();
    const down = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/test`);
    expect(down.body).toMatchObject({ success: false, response_status: null, error_class: 'connection' });
  });

  it('the delivery log filters and paginates; redelivery sends the same webhook-id again', async () => {
    const receiver = await endpoint();
    const webhook = await register(receiver, ['*']);
    const eventIds: string[] = [];
    for (let index = 0; index < 4; index += 1) eventIds.push(await publish('strategy.deployed', deployed));
    eventIds.push(await publish('account.api_key_rotated', keyRotated));
    await deliverDue();

    const all = (await attemptsOf(webhook.id, '?limit=2')).body ?? (await attemptsOf(webhook.id, '?limit=2'));
    expect(all.data).toHaveLength(2);
    const seen = [...all.data];
    let cursor = all.next_cursor;
    while (cursor) {
      const page = await attemptsOf(webhook.id, `?limit=2&cursor=${cursor}`);
      seen.push(...page.data);
      cursor = page.next_cursor;
    }
    expect(seen.map((attempt) => attempt.event_id).sort()).toEqual([...eventIds].sort());
    expect((await attemptsOf(webhook.id, '?type=account.api_key_rotated')).data).toHaveLength(1);
    expect((await attemptsOf(webhook.id, `?event_id=${eventIds[0]}`)).data).toHaveLength(1);
    expect((await attemptsOf(webhook.id, '?status=failed')).data).toHaveLength(0);
    expect((await api.request(owner, 'GET', `/v1/webhooks/${webhook.id}/deliveries?status=active`)).status).toBe(400);

    const target = seen.find((attempt) => attempt.event_id === eventIds[0])!;
    const accepted = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/deliveries/${target.id}/redeliver`);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ webhook_id: webhook.id, event_id: eventIds[0] });
    await deliverDue();
    const last = receiver.received.at(-1)!;
    expect(last.headers['webhook-id']).toBe(eventIds[0]);
    expect(verified(last, webhook.secret).id).toBe(eventIds[0]);
    const redelivered = (await attemptsOf(webhook.id, `?event_id=${eventIds[0]}`)).data;
    expect(
      redelivered.map((attempt: { trigger: string; attempt: number }) => [attempt.trigger, attempt.attempt]),
    ).toEqual([
      ['redelivery', 2],
      ['event', 1],
    ]);
    const missing = await api.request(
      owner,
      'POST',
      `/v1/webhooks/${webhook.id}/deliveries/dlv_000000000000000000000000/redeliver`,
    );
    expect(missing.status).toBe(404);
  });

  it('one attempt in full: the request exactly as sent (signatures, never a secret) and the response headers', async () => {
    const receiver = await endpoint();
    receiver.respondWith(() => ({ status: 503, headers: { 'retry-after': '7', 'x-trace': 'abc' }, body: 'busy' }));
    const webhook = await register(receiver, ['strategy.deployed', 'strategy.error']);
    const url = (await webhookOf(webhook.id)).url;
    const eventId = await publish('strategy.deployed', deployed);
    await deliverDue();
    const [entry] = (await attemptsOf(webhook.id)).data;
    const detail = await api.request(owner, 'GET', `/v1/webhooks/${webhook.id}/deliveries/${entry.id}`);
    expect(detail.status).toBe(200);
    const sent = receiver.received.at(-1)!;
    expect(detail.body.delivery).toEqual(entry);
    expect(detail.body.delivery).toMatchObject({ event_id: eventId, status: 'failed', response_status: 503 });
    expect(detail.body.request).toEqual({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        'user-agent': sent.headers['user-agent'],
        'webhook-id': eventId,
        'webhook-timestamp': sent.headers['webhook-timestamp'],
        'webhook-signature': sent.headers['webhook-signature'],
      },
      body: sent.body,
    });
    expect(detail.body.response_headers).toMatchObject({
      'retry-after': '7',
      'x-trace': 'abc',
      'content-type': 'text/plain',
    });
    // The signature is there, the secret never is (in any encoding the API gives it).
    expect(JSON.stringify(detail.body)).not.toContain(webhook.secret);

    // A test delivery's detail shows the body it sent, byte for byte, on both stores.
    receiver.respondWith(() => ({ status: 200, body: 'ok' }));
    const tested = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/test`, { type: 'strategy.error' });
    const testDetail = await api.request(
      owner,
      'GET',
      `/v1/webhooks/${webhook.id}/deliveries/${tested.body.delivery_id}`,
    );
    expect(testDetail.body.request.body).toBe(receiver.received.at(-1)!.body);
    expect(testDetail.body.response_headers).toMatchObject({ 'content-type': 'text/plain' });

    const other = await api.issueKey('deliveries-other');
    expect((await api.request(other, 'GET', `/v1/webhooks/${webhook.id}/deliveries/${entry.id}`)).status).toBe(404);
    expect(
      (await api.request(owner, 'GET', `/v1/webhooks/${webhook.id}/deliveries/dlv_000000000000000000000000`)).status,
    ).toBe(404);
    expect((await api.request(owner, 'GET', `/v1/webhooks/${webhook.id}/deliveries/nope`)).status).toBe(400);
  });

  it('recover queues exactly what a webhook missed (paused, never attempted), once, and nothing twice', async () => {
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    clock.time += 10_000;
    const receiver = await endpoint();
    const webhook = await register(receiver, ['strategy.*']);
    const before = clock.time - 5_000;
    // Delivered: never recovered.
    await publish('strategy.deployed', deployed);
    await deliverDue();
    await api.request(owner, 'PATCH', `/v1/webhooks/${webhook.id}`, { status: 'paused' });
    const missedA = await publish('strategy.deployed', deployed);
    const missedB = await publish('strategy.deployed', { ...deployed, version: 2 });
    await publish('backtest.job_done', jobDone); // not in its subscription
    // A test delivery's event is not an event the webhook missed.
    await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/test`, { type: 'strategy.error' });
    await deliverDue();
    await api.request(owner, 'PATCH', `/v1/webhooks/${webhook.id}`, { status: 'active' });
    // Failed once, its retry still waiting: already on its way, so not queued again.
    receiver.respondWith(() => ({ status: 503, body: 'busy' }));
    await publish('strategy.stopped', {
      strategy_id: 'stg_7d2c90e1',
      reason: 'user',
      realized_pnl: '1.00',
      quote_currency: 'USDT',
      stopped_at: '2026-11-22T12:00:00Z',
    });
    await deliverDue();
    receiver.respondWith(() => ({ status: 200, body: 'ok' }));
    clock.time += 2_000;
    const until = iso(clock.time);
    const received = receiver.received.length;

    const recovered = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/recover`, {
      since: iso(before - 3_600_000),
      until,
    });
    expect(recovered.status).toBe(202);
    // From the webhook's creation: it never receives events from before it existed.
    expect(recovered.body).toEqual({
      webhook_id: webhook.id,
      since: (await webhookOf(webhook.id)).created_at,
      until,
      queued: 2,
      event_ids: [missedA, missedB],
      next_since: null,
    });
    await deliverDue();
    const resent = receiver.received.slice(received);
    expect(resent.map((request) => request.headers['webhook-id'])).toEqual([missedA, missedB]);
    expect(verified(resent[1]!, webhook.secret).data).toMatchObject({ version: 2 });
    const log = (await attemptsOf(webhook.id, `?event_id=${missedA}`)).data;
    expect(log.map((attempt: { trigger: string; status: string }) => [attempt.trigger, attempt.status])).toEqual([
      ['redelivery', 'succeeded'],
    ]);

    // The same window again: everything in it was delivered or is on its way.
    const again = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/recover`, { since: iso(before), until });
    expect(again.body).toMatchObject({ queued: 0, event_ids: [], next_since: null });

    const backwards = await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/recover`, {
      since: until,
      until: iso(before),
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors[0]).toMatchObject({ parameter: 'until', message: 'must be after since' });
    expect((await api.request(owner, 'POST', `/v1/webhooks/${webhook.id}/recover`, {})).status).toBe(400);
    const other = await api.issueKey('recover-other', ['webhooks:write']);
    expect((await api.request(other, 'POST', `/v1/webhooks/${webhook.id}/recover`, { since: until })).status).toBe(404);
  });

  it("lists the account's events newest first, filtered and paged, and shows one with its deliveries per webhook", async () => {
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    clock.time += 10_000;
    const since = iso(clock.time);
    clock.time += 1_000;
    // An account of its own: the events list is the account's, whatever earlier tests published.
    const mine = await api.issueKey('events-list');
    const receiver = await endpoint();
    const registerMine = async (events: string[]) =>
      (
        await api.request(mine, 'POST', '/v1/webhooks', {
          url: `https://hooks.test:${receiver.port}/${Math.random().toString(36).slice(2)}`,
          events,
        })
      ).body as { id: string };
    const publishMine = async (type: string, data: object) =>
      (await api.publish({ account: mine.account, type, data })).body.events[0].id as string;
    const strategies = await registerMine(['strategy.*']);
    const backtests = await registerMine(['backtest.*']);
    // The backtests webhook's endpoint is down: its delivery fails and waits for a retry.
    const backtestsPath = new URL((await api.request(mine, 'GET', `/v1/webhooks/${backtests.id}`)).body.url).pathname;
    receiver.respondWith((request) =>
      request.url === backtestsPath ? { status: 503, body: 'busy' } : { status: 200, body: 'ok' },
    );
    const first = await publishMine('strategy.deployed', deployed);
    const jobEvent = await publishMine('backtest.job_done', jobDone);
    const last = await publishMine('strategy.deployed', { ...deployed, version: 2 });
    await deliverDue();
    const tested = await api.request(mine, 'POST', `/v1/webhooks/${strategies.id}/test`, {});
    expect(tested.status).toBe(200);
    const list = async (query: string) =>
      (await api.request(mine, 'GET', `/v1/events?since=${encodeURIComponent(since)}${query}`)).body;

    const page = await list('&limit=2');
    expect(page.data.map((event: { id: string }) => event.id)).toEqual([last, jobEvent]);
    expect(page.data[0]).toEqual({
      id: last,
      type: 'strategy.deployed',
      created_at: expect.any(String),
      data: { ...deployed, version: 2 },
    });
    const rest = await list(`&limit=2&cursor=${page.next_cursor}`);
    expect(rest).toEqual({ data: [expect.objectContaining({ id: first })], next_cursor: null });
    expect((await list('&type=backtest.job_done')).data.map((event: { id: string }) => event.id)).toEqual([jobEvent]);
    expect((await list(`&until=${encodeURIComponent(since)}`)).data).toEqual([]);
    // A cursor is bound to its filters.
    expect((await api.request(mine, 'GET', `/v1/events?cursor=${page.next_cursor}`)).status).toBe(400);

    const delivered = await api.request(mine, 'GET', `/v1/events/${first}`);
    expect(delivered.status).toBe(200);
    expect(delivered.body.event).toEqual(rest.data[0]);
    expect(delivered.body.deliveries).toEqual([
      {
        webhook_id: strategies.id,
        attempts: 1,
        waiting: false,
        last_attempt: expect.objectContaining({ event_id: first, status: 'succeeded', trigger: 'event' }),
      },
    ]);
    const failing = (await api.request(mine, 'GET', `/v1/events/${jobEvent}`)).body;
    expect(failing.deliveries).toEqual([
      {
        webhook_id: backtests.id,
        attempts: 1,
        waiting: true,
        last_attempt: expect.objectContaining({
          status: 'failed',
          response_status: 503,
          next_attempt_at: expect.any(String),
        }),
      },
    ]);

    // A test delivery's event is not one of the account's events.
    expect((await api.request(mine, 'GET', `/v1/events/${tested.body.event_id}`)).status).toBe(404);
    // The suite's own account sees none of them.
    expect((await api.request(owner, 'GET', `/v1/events/${first}`)).status).toBe(404);
    expect(
      (await api.request(owner, 'GET', `/v1/events?since=${encodeURIComponent(since)}`)).body.data.map(
        (event: { id: string }) => event.id,
      ),
    ).not.toContain(first);
    expect((await api.request(mine, 'GET', '/v1/events/nope')).status).toBe(400);
    expect((await api.request(mine, 'GET', '/v1/events?since=yesterday')).status).toBe(400);
    receiver.respondWith(() => ({ status: 200, body: 'ok' }));
  });

  it('account.balance_low fires once per downward crossing, per webhook threshold', async () => {
    const receiver = await endpoint();
    const high = await register(receiver, ['account.balance_low'], { balance_low_threshold: '100' });
    const low = await register(receiver, ['account.*'], { balance_low_threshold: '60.5' });
    const report = async (available: string) => {
      const response = await api.publish(
        { account: owner.account, balance: { asset: 'USDT', available } },
        undefined,
        '/internal/v1/balances',
      );
      expect(response.status).toBe(202);
      await deliverDue();
      return response.body.events.length;
    };
    const firedFor = (secret: string) =>
      receiver.received.filter((request) => {
        try {
          return verified(request, secret).type === 'account.balance_low';
        } catch {
          return false;
        }
      });
    expect(await report('150')).toBe(0);
    expect(await report('99.99')).toBe(1); // crosses 100
    expect(await report('80')).toBe(0); // still below: no repeat
    expect(await report('60.49')).toBe(1); // crosses 60.5
    expect(await report('120')).toBe(0); // back above both: re-armed
    expect(await report('50')).toBe(2); // crosses both again
    expect(firedFor(high.secret)).toHaveLength(2);
    expect(firedFor(low.secret)).toHaveLength(2);
    const event = verified(firedFor(high.secret)[1]!, high.secret);
    expect(event.data).toMatchObject({ asset: 'USDT', available: '50', threshold: '100' });
    // Another asset has its own crossings; the first report below a threshold counts as one.
    expect(
      await report('1')
        .then(async () =>
          api.publish(
            { account: owner.account, balance: { asset: 'BTC', available: '1' } },
            undefined,
            '/internal/v1/balances',
          ),
        )
        .then((r) => r.body.events.length),
    ).toBe(2);
  });
});

// Its own API and clock: a retention pass deletes whatever is old, so the counts are this test's alone.
describe.each(STORE_KINDS)('retention on %s', (kind) => {
  const clock = tickingClock();
  let api: TestApi;
  let owner: Credentials;
  let receiver: HttpsEndpoint;
  beforeAll(async () => {
    api = await startTestApi(kind, { clock });
    owner = await api.issueKey('retention');
    receiver = await startHttpsEndpoint('valid', 'hooks.test');
  });
  afterAll(async () => {
    await api.close();
    await receiver.close();
  });
  const register = async (events: string[]) =>
    (
      await api.request(owner, 'POST', '/v1/webhooks', {
        url: `https://hooks.test:${receiver.port}/${Math.random().toString(36).slice(2)}`,
        events,
      })
    ).body as { id: string };
  const publish = async (data: object) =>
    (await api.publish({ account: owner.account, type: 'strategy.deployed', data })).body.events[0].id as string;
  const deliverDue = () => api.services.worker.runDue();
  const attemptsOf = async (id: string, query = '') =>
    (await api.request(owner, 'GET', `/v1/webhooks/${id}/deliveries${query}`)).body;

  it('deletes attempts and events past 30 days, keeping an event until its waiting delivery is done', async () => {
    const webhook = await register(['strategy.deployed']);
    const old = await publish(deployed);
    await deliverDue();
    const [oldAttempt] = (await attemptsOf(webhook.id)).data;
    // `pending` waits on both webhooks: `webhook` is paused before its delivery, and `waiting` gets it
    // as a recovered redelivery (sent whatever the status), both only after the 30 days.
    const waiting = await register(['strategy.deployed']);
    await api.request(owner, 'PATCH', `/v1/webhooks/${waiting.id}`, { status: 'paused' });
    const pending = await publish({ ...deployed, version: 2 });
    await api.request(owner, 'PATCH', `/v1/webhooks/${webhook.id}`, { status: 'paused' });
    await api.request(owner, 'POST', `/v1/webhooks/${waiting.id}/recover`, { since: '2026-01-01T00:00:00Z' });

    clock.time += api.services.retention.keepMs + 60_000;
    await api.request(owner, 'PATCH', `/v1/webhooks/${webhook.id}`, { status: 'active' });
    const fresh = await publish({ ...deployed, version: 3 });
    const pruned = await api.services.retention.prune();
    // The old attempt went; both old events' deliveries were finished or waiting: only `old` went.
    expect(pruned).toEqual({ attempts: 1, jobs: 1, events: 1 });
    expect((await api.request(owner, 'GET', `/v1/webhooks/${webhook.id}/deliveries/${oldAttempt.id}`)).status).toBe(
      404,
    );
    expect((await attemptsOf(webhook.id, `?event_id=${old}`)).data).toEqual([]);

    await deliverDue();
    const waitingLog = (await attemptsOf(waiting.id, `?event_id=${pending}`)).data;
    expect(waitingLog).toHaveLength(1);
    const freshLog = (await attemptsOf(webhook.id, `?event_id=${fresh}`)).data;
    expect(freshLog).toHaveLength(1);
    // Its delivery done, the old event goes at the next pass; the attempt made now stays, without a body.
    expect(await api.services.retention.prune()).toMatchObject({ attempts: 0, events: 1 });
    const detail = await api.request(owner, 'GET', `/v1/webhooks/${waiting.id}/deliveries/${waitingLog[0].id}`);
    expect(detail.body.request).toMatchObject({ method: 'POST', body: null });
    // Its event gone, the attempt cannot be redelivered: 404 naming why (a 500 before).
    const redeliver = await api.request(
      owner,
      'POST',
      `/v1/webhooks/${waiting.id}/deliveries/${waitingLog[0].id}/redeliver`,
    );
    expect(redeliver.status).toBe(404);
    expect(redeliver.body.detail).toContain('past retention');
    // A window reaching back before retention starts where retention does: only `fresh`, which the
    // paused webhook missed, is queued.
    const recovered = await api.request(owner, 'POST', `/v1/webhooks/${waiting.id}/recover`, {
      since: '2026-01-01T00:00:00Z',
    });
    expect(recovered.body).toMatchObject({ queued: 1, event_ids: [fresh] });
    expect(Date.parse(recovered.body.since)).toBeGreaterThanOrEqual(clock.time - api.services.retention.keepMs - 1_000);
    const freshDetail = await api.request(owner, 'GET', `/v1/webhooks/${webhook.id}/deliveries/${freshLog[0].id}`);
    expect(JSON.parse(freshDetail.body.request.body)).toMatchObject({ id: fresh, data: { version: 3 } });
    expect(await api.services.retention.prune()).toEqual({ attempts: 0, jobs: 0, events: 0 });
  });
});
