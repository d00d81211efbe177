// One scenario suite, three targets: the Prism mock frontend teams use, the real server, and the real
// server behind `prism proxy --errors`. Every response of every scenario is checked against the spec.
import type { PipAIClient } from '@pipai/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, TARGETS, type Target } from '../src/targets.ts';

describe.each(TARGETS)('scenarios against the %s', (name) => {
  let target: Target;
  let client: PipAIClient;
  let id: string;

  beforeAll(async () => {
    target = await startTarget(name);
    client = await target.client();
  }, 60_000);
  afterAll(() => target.close());

  /** On the mock, a documented error is asked for; on the server, it is provoked. */
  const prefer = (code: number, example?: string) =>
    target.live ? {} : { headers: { Prefer: `code=${code}${example ? `, example=${example}` : ''}` } };

  it('creates a webhook and gets its secret once', async () => {
    const { data, response } = await client.POST('/v1/webhooks', {
      body: { url: target.hookUrl('scenario'), events: ['strategy.deployed', 'backtest.*'], description: 'Scenario' },
    });
    expect(response.status).toBe(201);
    expect(data!.id).toMatch(/^wh_[0-9a-f]{6,8}$/);
    expect(data!.secret).toMatch(/^[A-Za-z0-9_-]{40}$/);
    id = data!.id;
  });

  it('lists with each filter and pages through', async () => {
    // A second webhook, so that a page of one leaves a next page on the live targets.
    const second = await client.POST('/v1/webhooks', { body: { url: target.hookUrl('scenario-2'), events: ['*'] } });
    expect(second.response.status).toBe(201);
    for (const query of [
      {},
      { status: 'active' as const },
      { event: 'strategy.*' as const },
      { event: 'strategy.deployed' as const },
      { limit: 1 },
    ]) {
      const { data, response } = await client.GET('/v1/webhooks', { params: { query } });
      expect(response.status, JSON.stringify(query)).toBe(200);
      expect(Array.isArray(data!.data)).toBe(true);
    }
    // On the live targets a page of one leaves a next page. The mock answers every list with the spec's
    // example, a last page, so it is handed a well-formed cursor of its own to follow.
    const first = await client.GET('/v1/webhooks', { params: { query: { limit: 1 } } });
    expect(first.response.status).toBe(200);
    expect(first.data!.next_cursor).toEqual(target.live ? expect.stringMatching(/^[A-Za-z0-9_-]{1,512}$/) : null);
    const cursor = first.data!.next_cursor ?? 'bW9jay1jdXJzb3I';
    const next = await client.GET('/v1/webhooks', { params: { query: { limit: 1, cursor } } });
    expect(next.response.status).toBe(200);
    expect(next.data!.next_cursor).toBeNull();
    if (target.live) {
      // The two pages hold both webhooks, once each.
      const paged = [...first.data!.data, ...next.data!.data].map((webhook) => webhook.id);
      expect(paged.toSorted()).toEqual([id, second.data!.id].toSorted());
    }
  });

  it('retrieves, updates, tests, reads the log, rotates, and deletes', async () => {
    const path = { params: { path: { webhook_id: id } } };
    expect((await client.GET('/v1/webhooks/{webhook_id}', path)).response.status).toBe(200);
    const updated = await client.PATCH('/v1/webhooks/{webhook_id}', { ...path, body: { status: 'paused' } });
    expect(updated.response.status).toBe(200);
    const tested = await client.POST('/v1/webhooks/{webhook_id}/test', {
      ...path,
      body: { type: 'strategy.deployed' },
    });
    expect(tested.response.status).toBe(200);
    expect(tested.data!.request_headers['webhook-signature']).toMatch(/^v1,/);
    const log = await client.GET('/v1/webhooks/{webhook_id}/deliveries', path);
    expect(log.response.status).toBe(200);
    // The test delivery above is logged (on the mock, the example's attempts stand for it).
    const [attempt] = log.data!.data;
    expect(attempt).toMatchObject({ id: expect.stringMatching(/^dlv_[0-9a-f]{24}$/), type: 'strategy.deployed' });
    const redelivered = await client.POST('/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver', {
      params: { path: { webhook_id: id, delivery_id: attempt!.id } },
    });
    expect(redelivered.response.status).toBe(202);
    expect(
      (await client.POST('/v1/webhooks/{webhook_id}/secret/rotate', { ...path, body: { grace_period_seconds: 60 } }))
        .response.status,
    ).toBe(200);
    expect((await client.GET('/v1/webhook-event-types')).data!.data).toHaveLength(11);
    expect((await client.DELETE('/v1/webhooks/{webhook_id}', path)).response.status).toBe(204);
  });

  it('401 UNAUTHENTICATED without the signing headers', async () => {
    const response = await fetch(`${target.baseUrl}/v1/webhooks`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // Prism's proxy enforces the security schemes itself and answers in its own words; the server's
    // own 401 is checked on the other two targets.
    if (name !== 'server via prism proxy') expect((await response.json()).code).toBe('UNAUTHENTICATED');
  });

  it('400 INVALID_PARAMETER for a bad body and a bad query', async () => {
    const body = await client.POST('/v1/webhooks', {
      body: { url: 'http://plain.example/', events: ['strategy.deployed'] },
    });
    expect(body.response.status).toBe(400);
    expect(body.error!.code).toBe('INVALID_PARAMETER');
    expect(body.error!.errors![0]!.parameter).toBe('url');
    const query = await client.GET('/v1/webhooks', { params: { query: { limit: 0 } } });
    expect(query.response.status).toBe(400);
    expect(query.error!.code).toBe('INVALID_PARAMETER');
  });

  it("404 NOT_FOUND for a webhook that is not the account's", async () => {
    const { error, response } = await client.GET('/v1/webhooks/{webhook_id}', {
      params: { path: { webhook_id: 'wh_00000000' } },
      ...prefer(404),
    });
    expect(response.status).toBe(404);
    expect(error!.code).toBe('NOT_FOUND');
  });

  it('409 DUPLICATE_URL for a URL registered twice', async () => {
    const body = { url: target.hookUrl('twice'), events: ['*' as const] };
    if (target.live) expect((await client.POST('/v1/webhooks', { body })).response.status).toBe(201);
    const { error, response } = await client.POST('/v1/webhooks', { body, ...prefer(409) });
    expect(response.status).toBe(409);
    expect(error!.code).toBe('DUPLICATE_URL');
  });

  it('403 INSUFFICIENT_PERMISSION for a read-only key that writes', async () => {
    const reader = await target.client(['webhooks:read']);
    const { error, response } = await reader.POST('/v1/webhooks', {
      body: { url: target.hookUrl('ro'), events: ['*'] },
      ...prefer(403),
    });
    expect(response.status).toBe(403);
    expect(error!.code).toBe('INSUFFICIENT_PERMISSION');
  });

  it('429 LIMIT_REACHED for the 26th webhook', async () => {
    const full = await target.client();
    if (target.live) {
      for (let index = 0; index < 25; index += 1) {
        expect(
          (await full.POST('/v1/webhooks', { body: { url: target.hookUrl(`full-${index}`), events: ['*'] } })).response
            .status,
        ).toBe(201);
      }
    }
    const { error, response } = await full.POST('/v1/webhooks', {
      body: { url: target.hookUrl('full-25'), events: ['*'] },
      ...prefer(429, 'limitReached'),
    });
    expect(response.status).toBe(429);
    expect(error!.code).toBe('LIMIT_REACHED');
  });

  it('every response of every scenario matches the spec: zero violations', () => {
    expect(target.responses.length).toBeGreaterThanOrEqual(18);
    expect(target.problems).toEqual([]);
  });
});
