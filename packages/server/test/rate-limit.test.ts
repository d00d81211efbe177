// A webhook's rate_limit: deliveries per second at most, counted across workers; what exceeds it
// waits for a later second and is never dropped. Time is an injected clock: a second passes only when
// the test moves it, so counts per second are exact whatever the machine's speed.
import { type HttpsEndpoint, startHttpsEndpoint } from '@pipai/testkit/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api.ts';
import { STORE_KINDS } from './support/stores.ts';

const keyRotated = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A clock that stays inside one second until moved (each reading advances a millisecond at most 999 times). */
function steppingClock() {
  const start = Date.parse('2026-11-22T12:00:00Z');
  const clock = { second: 0, tick: 0, now: () => start + clock.second * 1000 + Math.min(clock.tick++, 999) };
  return clock;
}

describe.each(STORE_KINDS)('rate_limit on %s', (kind) => {
  it('is set on create, shown on read, changed and removed on update, and refused out of range', async () => {
    const api = await startTestApi(kind);
    closers.push(() => api.close());
    const endpoint = await startHttpsEndpoint('valid', 'hooks.test');
    closers.push(() => endpoint.close());
    const owner = await api.issueKey('rate');
    const url = `https://hooks.test:${endpoint.port}/hook`;
    const created = await api.request(owner, 'POST', '/v1/webhooks', { url, events: ['*'], rate_limit: 5 });
    expect(created.status).toBe(201);
    expect(created.body.rate_limit).toBe(5);
    expect((await api.request(owner, 'GET', `/v1/webhooks/${created.body.id}`)).body.rate_limit).toBe(5);
    expect(
      (await api.request(owner, 'PATCH', `/v1/webhooks/${created.body.id}`, { rate_limit: 20 })).body.rate_limit,
    ).toBe(20);
    const removed = await api.request(owner, 'PATCH', `/v1/webhooks/${created.body.id}`, { rate_limit: null });
    expect(removed.status).toBe(200);
    expect(removed.body).not.toHaveProperty('rate_limit');
    for (const bad of [0, 1001, 2.5, '5']) {
      const refused = await api.request(owner, 'POST', '/v1/webhooks', {
        url: `${url}/${String(bad)}`,
        events: ['*'],
        rate_limit: bad,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([expect.objectContaining({ parameter: 'rate_limit', in: 'body' })]);
    }
  });
});

describe('rate_limit across two workers on one PostgreSQL database', () => {
  let receiver: HttpsEndpoint;

  it('starts at most rate_limit deliveries per second between them, and delivers the rest in later seconds', async () => {
    const clock = steppingClock();
    const first: TestApi = await startTestApi('postgres', { clock });
    closers.push(() => first.close());
    const other: TestApi = await startTestApi('postgres', { clock, postgresUrl: first.opened.location });
    closers.push(() => other.close());
    receiver = await startHttpsEndpoint('valid', 'hooks.test');
    closers.push(() => receiver.close());
    const owner = await first.issueKey('rate');
    const created = await first.request(owner, 'POST', '/v1/webhooks', {
      url: `https://hooks.test:${receiver.port}/hook`,
      events: ['*'],
      rate_limit: 3,
    });
    expect(created.status).toBe(201);
    for (let index = 0; index < 8; index += 1) {
      expect(
        (await first.publish({ account: owner.account, type: 'account.api_key_rotated', data: keyRotated })).status,
      ).toBe(202);
    }

    const perSecond: number[] = [];
    for (let at = 1; at <= 4; at += 1) {
      clock.second = at;
      clock.tick = 0;
      const before = receiver.received.length;
      // Both workers claim until neither gets anything more this second.
      while ((await first.services.worker.runDue()) + (await other.services.worker.runDue()) > 0);
      perSecond.push(receiver.received.length - before);
    }
    expect(perSecond).toEqual([3, 3, 2, 0]);
    expect(new Set(receiver.received.map((request) => request.headers['webhook-id'])).size).toBe(8);
    expect(await first.opened.store.queue.countUnfinished()).toBe(0);
  }, 60_000);
});
