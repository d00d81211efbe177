// Every webhook operation over real HTTP, on both stores: success paths, the reference pages' shapes, and
// every documented error. Responses are validated against the spec by the server itself (a mismatch
// would be a 500 here).

import { type HttpsEndpoint, startHttpsEndpoint } from '@pipai/testkit/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Credentials, startTestApi, type TestApi } from './support/api.ts';
import { STORE_KINDS } from './support/stores.ts';

const SECRET_WARNING = 'Store this secret immediately — it will not be retrievable later.';

describe.each(STORE_KINDS)('webhooks API on %s', (kind) => {
  let api: TestApi;
  let endpoint: HttpsEndpoint;
  let owner: Credentials;
  let url: (path: string) => string;

  beforeAll(async () => {
    api = await startTestApi(kind);
    endpoint = await startHttpsEndpoint('valid', 'hooks.test');
    owner = await api.issueKey('owner');
    url = (path) => `https://hooks.test:${endpoint.port}/${path}`;
  });
  afterAll(async () => {
    await api.close();
    await endpoint.close();
  });

  const create = (credentials: Credentials, body: unknown) => api.request(credentials, 'POST', '/v1/webhooks', body);

  describe('create', () => {
    it('returns the seed shape with the secret, once, and a Location', async () => {
      const response = await create(owner, {
        url: url('pipai-webhook'),
        events: ['strategy.deployed', 'strategy.position_opened', 'strategy.error', 'backtest.job_done'],
        description: 'Production strategy alerts',
      });
      expect(response.status).toBe(201);
      const webhook = response.body;
      expect(Object.keys(webhook)).toEqual([
        'id',
        'url',
        'events',
        'description',
        'status',
        'consecutive_failures',
        'last_delivery_at',
        'last_success_at',
        'created_at',
        'secret',
        '_secret_warning',
      ]);
      expect(webhook).toMatchObject({
        url: url('pipai-webhook'),
        events: ['strategy.deployed', 'strategy.position_opened', 'strategy.error', 'backtest.job_done'],
        description: 'Production strategy alerts',
        status: 'active',
        consecutive_failures: 0,
        last_delivery_at: null,
        last_success_at: null,
        _secret_warning: SECRET_WARNING,
      });
      expect(webhook.id).toMatch(/^wh_[0-9a-f]{6,8}$/);
      expect(webhook.secret).toMatch(/^[A-Za-z0-9_-]{40}$/);
      expect(webhook.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(response.headers.get('location')).toBe(`/v1/webhooks/${webhook.id}`);
      expect(response.headers.get('x-pipai-weight-used')).toMatch(/^\d+$/);

      const read = await api.request(owner, 'GET', `/v1/webhooks/${webhook.id}`);
      expect(read.status).toBe(200);
      expect(read.body).not.toHaveProperty('secret');
      expect(read.body).not.toHaveProperty('_secret_warning');
      const { secret: _secret, _secret_warning: _warning, ...withoutSecret } = webhook;
      expect(read.body).toEqual(withoutSecret);
    });

    it('keeps a threshold with account.balance_low and with a wildcard covering it, drops it otherwise', async () => {
      const named = await create(owner, {
        url: url('balance'),
        events: ['account.balance_low'],
        balance_low_threshold: '250.00',
      });
      expect(named.status).toBe(201);
      expect(named.body.balance_low_threshold).toBe('250.00');
      const wildcard = await create(owner, {
        url: url('balance-wild'),
        events: ['account.*'],
        balance_low_threshold: '10',
      });
      expect(wildcard.body.balance_low_threshold).toBe('10');
      const ignored = await create(owner, {
        url: url('balance-ignored'),
        events: ['backtest.*'],
        balance_low_threshold: '10',
      });
      expect(ignored.status).toBe(201);
      expect(ignored.body).not.toHaveProperty('balance_low_threshold');
    });

    const invalid: [string, unknown, string][] = [
      ['url missing', { events: ['*'] }, 'url'],
      ['url http://', { url: 'http://hooks.test/x', events: ['*'] }, 'url'],
      ['url malformed', { url: 'https://', events: ['*'] }, 'url'],
      ['events missing', { url: 'https://hooks.test/x' }, 'events'],
      ['events empty', { url: 'https://hooks.test/x', events: [] }, 'events'],
      ['unknown event', { url: 'https://hooks.test/x', events: ['strategy.deployed', 'strategy.nope'] }, 'events[1]'],
      ['duplicate event', { url: 'https://hooks.test/x', events: ['*', '*'] }, 'events'],
      [
        'description too long',
        { url: 'https://hooks.test/x', events: ['*'], description: 'x'.repeat(201) },
        'description',
      ],
      ['threshold missing', { url: 'https://hooks.test/x', events: ['account.balance_low'] }, 'balance_low_threshold'],
      [
        'threshold zero',
        { url: 'https://hooks.test/x', events: ['account.balance_low'], balance_low_threshold: '0' },
        'balance_low_threshold',
      ],
      [
        'threshold negative',
        { url: 'https://hooks.test/x', events: ['*'], balance_low_threshold: '-5' },
        'balance_low_threshold',
      ],
      [
        'threshold a number',
        { url: 'https://hooks.test/x', events: ['*'], balance_low_threshold: 5 },
        'balance_low_threshold',
      ],
      ['extra field', { url: 'https://hooks.test/x', events: ['*'], secret: 'mine' }, 'secret'],
    ];
    it.each(invalid)('400 INVALID_PARAMETER: %s', async (_name, body, parameter) => {
      const response = await create(owner, body);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('INVALID_PARAMETER');
      expect(response.body.errors.map((error: { parameter: string }) => error.parameter)).toContain(parameter);
      expect(response.body.request_id).toBe(response.headers.get('x-request-id'));
    });

    it('400 on malformed JSON and an oversized body, naming what is wrong; 415 on a wrong content type', async () => {
      const malformed = await api.request(owner, 'POST', '/v1/webhooks', '{"url":');
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors).toEqual([expect.objectContaining({ parameter: 'body', in: 'body' })]);
      const text = await api.request(owner, 'POST', '/v1/webhooks', 'url=x', { contentType: 'text/plain' });
      expect(text.status).toBe(415);
      expect(text.body).toMatchObject({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        detail: 'The request body must be sent as Content-Type: application/json (UTF-8); got text/plain.',
      });
      const huge = await create(owner, { url: url('huge'), events: ['*'], description: 'x'.repeat(70_000) });
      expect(huge.status).toBe(400);
      expect(huge.body.errors).toEqual([
        expect.objectContaining({ parameter: 'body', message: 'is larger than 64 KiB' }),
      ]);
    });

    it('409 DUPLICATE_URL for the same URL, compared normalized; another account may use it', async () => {
      const first = await create(owner, { url: url('dup'), events: ['*'] });
      expect(first.status).toBe(201);
      const same = await create(owner, { url: `https://HOOKS.test:${endpoint.port}/dup#fragment`, events: ['*'] });
      expect(same.status).toBe(409);
      expect(same.body.code).toBe('DUPLICATE_URL');
      const other = await create(await api.issueKey('dup-other'), { url: url('dup'), events: ['*'] });
      expect(other.status).toBe(201);
    });

    it('429 LIMIT_REACHED for the 26th webhook; deleting one frees a slot', async () => {
      const full = await api.issueKey('full');
      const ids: string[] = [];
      for (let index = 0; index < 25; index += 1) {
        const response = await create(full, { url: url(`full-${index}`), events: ['*'] });
        expect(response.status).toBe(201);
        ids.push(response.body.id);
      }
      const over = await create(full, { url: url('full-25'), events: ['*'] });
      expect(over.status).toBe(429);
      expect(over.body.code).toBe('LIMIT_REACHED');
      expect(over.headers.get('retry-after')).toBeNull();
      expect((await api.request(full, 'DELETE', `/v1/webhooks/${ids[0]}`)).status).toBe(204);
      expect((await create(full, { url: url('full-25'), events: ['*'] })).status).toBe(201);
    });

    it('403 INSUFFICIENT_PERMISSION without webhooks:write', async () => {
      const reader = await api.issueKey('owner', ['webhooks:read']);
      const response = await create(reader, { url: url('ro'), events: ['*'] });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('INSUFFICIENT_PERMISSION');
    });
  });

  describe('list', () => {
    let lister: Credentials;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      lister = await api.issueKey('lister');
      const specs: [string, string[], string?][] = [
        ['deployed', ['strategy.deployed']],
        ['strategy-all', ['strategy.*']],
        ['everything', ['*']],
        ['backtests', ['backtest.job_done', 'backtest.job_failed']],
        ['paused', ['account.api_key_rotated'], 'paused'],
      ];
      for (const [name, events, status] of specs) {
        const response = await create(lister, { url: url(`list-${name}`), events });
        ids[name] = response.body.id;
        if (status) await api.request(lister, 'PATCH', `/v1/webhooks/${response.body.id}`, { status });
      }
    });

    const listIds = async (query: string) => {
      const response = await api.request(lister, 'GET', `/v1/webhooks${query}`);
      expect(response.status).toBe(200);
      return response.body.data.map((webhook: { id: string }) => webhook.id);
    };

    it("returns the account's webhooks newest first, never a secret", async () => {
      const response = await api.request(lister, 'GET', '/v1/webhooks');
      expect(response.body.next_cursor).toBeNull();
      expect(response.body.data.map((webhook: { id: string }) => webhook.id)).toEqual(
        ['paused', 'backtests', 'everything', 'strategy-all', 'deployed'].map((name) => ids[name]),
      );
      expect(JSON.stringify(response.body)).not.toMatch(/secret/);
    });

    it('filters by status', async () => {
      expect(await listIds('?status=paused')).toEqual([ids.paused]);
      expect(await listIds('?status=broken')).toEqual([]);
    });

    it('filters by event: wildcard subscriptions match concrete events', async () => {
      expect(await listIds('?event=strategy.deployed')).toEqual([ids.everything, ids['strategy-all'], ids.deployed]);
      expect(await listIds('?event=backtest.job_failed')).toEqual([ids.backtests, ids.everything]);
    });

    it('a wildcard filter returns every webhook receiving some event it covers', async () => {
      expect(await listIds('?event=strategy.*')).toEqual([ids.everything, ids['strategy-all'], ids.deployed]);
      expect(await listIds('?event=*')).toHaveLength(5);
      expect(await listIds('?event=account.*&status=paused')).toEqual([ids.paused]);
    });

    it('paginates with opaque cursors bound to the filters', async () => {
      const first = await api.request(lister, 'GET', '/v1/webhooks?limit=2');
      expect(first.body.data).toHaveLength(2);
      const cursor = first.body.next_cursor;
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      const second = await api.request(lister, 'GET', `/v1/webhooks?limit=2&cursor=${cursor}`);
      const third = await api.request(lister, 'GET', `/v1/webhooks?limit=2&cursor=${second.body.next_cursor}`);
      expect(third.body.next_cursor).toBeNull();
      const all = [...first.body.data, ...second.body.data, ...third.body.data].map((webhook) => webhook.id);
      expect(all).toEqual(await listIds(''));

      const otherFilter = await api.request(lister, 'GET', `/v1/webhooks?limit=2&status=active&cursor=${cursor}`);
      expect(otherFilter.status).toBe(400);
      expect(otherFilter.body.errors).toEqual([expect.objectContaining({ parameter: 'cursor', in: 'query' })]);
      const foreign = await api.request(owner, 'GET', `/v1/webhooks?limit=2&cursor=${cursor}`);
      expect(foreign.status).toBe(400);
      const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('AA') ? 'AB' : 'AA'}`;
      expect((await api.request(lister, 'GET', `/v1/webhooks?cursor=${tampered}`)).status).toBe(400);
      expect((await api.request(lister, 'GET', '/v1/webhooks?cursor=not-a-cursor')).status).toBe(400);
    });

    it.each([
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['status=deleted', 'status'],
      ['event=strategy.nope', 'event'],
      ['event=strategy', 'event'],
      ['cursor=%2F%2F', 'cursor'],
      ['page=2', 'page'],
    ])('400 INVALID_PARAMETER for %s', async (query, parameter) => {
      const response = await api.request(lister, 'GET', `/v1/webhooks?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.errors).toContainEqual(expect.objectContaining({ parameter, in: 'query' }));
    });

    it('accepts limit 1 and 100', async () => {
      expect(await listIds('?limit=1')).toHaveLength(1);
      expect(await listIds('?limit=100')).toHaveLength(5);
    });

    it('403 INSUFFICIENT_PERMISSION without webhooks:read', async () => {
      const writer = await api.issueKey('lister', ['webhooks:write']);
      const response = await api.request(writer, 'GET', '/v1/webhooks');
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('INSUFFICIENT_PERMISSION');
    });
  });

  describe('retrieve, update, delete', () => {
    let id: string;
    beforeAll(async () => {
      id = (await create(owner, { url: url('crud'), events: ['strategy.deployed'], description: 'before' })).body.id;
    });

    it('updates fields independently, validating each as on create', async () => {
      const response = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, {
        description: 'after',
        events: ['backtest.*'],
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id, description: 'after', events: ['backtest.*'], url: url('crud') });
      expect(
        (await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { description: null })).body.description,
      ).toBeNull();
      const moved = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { url: url('crud-moved') });
      expect(moved.body.url).toBe(url('crud-moved'));
      for (const body of [
        {},
        { url: 'http://hooks.test/x' },
        { events: [] },
        { status: 'broken' },
        { description: 'x'.repeat(201) },
        { id: 'wh_000000' },
      ]) {
        const bad = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, body);
        expect(bad.status, JSON.stringify(body)).toBe(400);
        expect(bad.body.code).toBe('INVALID_PARAMETER');
      }
    });

    it('requires a threshold once events name account.balance_low', async () => {
      const missing = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { events: ['account.balance_low'] });
      expect(missing.status).toBe(400);
      expect(missing.body.errors).toEqual([expect.objectContaining({ parameter: 'balance_low_threshold' })]);
      const given = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, {
        events: ['account.balance_low'],
        balance_low_threshold: '5',
      });
      expect(given.body.balance_low_threshold).toBe('5');
      const cleared = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { balance_low_threshold: null });
      expect(cleared.status).toBe(400);
      const away = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { events: ['strategy.*'] });
      expect(away.body).not.toHaveProperty('balance_low_threshold');
    });

    it('pauses and resumes', async () => {
      expect((await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { status: 'paused' })).body.status).toBe(
        'paused',
      );
      expect((await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { status: 'active' })).body.status).toBe(
        'active',
      );
    });

    it('re-enables a broken webhook and resets its failure count', async () => {
      await api.opened.store.webhooks.update((await api.opened.store.accounts.findKey(owner.api_key))!.accountId, id, {
        status: 'broken',
        consecutiveFailures: 12,
      });
      expect((await api.request(owner, 'GET', `/v1/webhooks/${id}`)).body).toMatchObject({
        status: 'broken',
        consecutive_failures: 12,
      });
      const response = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { status: 'active' });
      expect(response.body).toMatchObject({ status: 'active', consecutive_failures: 0 });
    });

    it("409 when the new URL is another webhook's", async () => {
      await create(owner, { url: url('taken'), events: ['*'] });
      const response = await api.request(owner, 'PATCH', `/v1/webhooks/${id}`, { url: url('taken') });
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('DUPLICATE_URL');
    });

    it("404 for unknown ids and for other accounts' webhooks, never 403", async () => {
      const stranger = await api.issueKey('stranger');
      for (const [method, body] of [['GET'], ['PATCH', { status: 'paused' }], ['DELETE']] as const) {
        for (const credentials of [stranger, owner]) {
          const target = credentials === owner ? '/v1/webhooks/wh_00000000' : `/v1/webhooks/${id}`;
          const response = await api.request(credentials, method, target, body);
          expect(response.status, `${method} ${target}`).toBe(404);
          expect(response.body.code).toBe('NOT_FOUND');
        }
      }
      const list = await api.request(stranger, 'GET', '/v1/webhooks');
      expect(list.body.data).toEqual([]);
    });

    it('400 for a malformed webhook id', async () => {
      const response = await api.request(owner, 'GET', '/v1/webhooks/not-an-id');
      expect(response.status).toBe(400);
      expect(response.body.errors).toEqual([expect.objectContaining({ parameter: 'webhook_id', in: 'path' })]);
    });

    it('deletes, then 404', async () => {
      expect((await api.request(owner, 'DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
      expect((await api.request(owner, 'GET', `/v1/webhooks/${id}`)).status).toBe(404);
      expect((await api.request(owner, 'DELETE', `/v1/webhooks/${id}`)).status).toBe(404);
    });
  });

  it('lists the event catalog', async () => {
    const response = await api.request(owner, 'GET', '/v1/webhook-event-types');
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(11);
    expect(response.body.data[0]).toEqual({
      type: 'strategy.deployed',
      category: 'strategy',
      summary: 'A strategy was deployed, live or on paper.',
      payload_schema: '#/components/schemas/StrategyDeployedEvent',
    });
  });

  it('answers unknown routes and methods with 404 problem+json', async () => {
    for (const [method, target] of [
      ['GET', '/v1/nothing'],
      ['PUT', '/v1/webhooks'],
      ['GET', '/'],
    ]) {
      const response = await api.request(owner, method!, target!);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }
  });
});
