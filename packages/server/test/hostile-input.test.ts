// Hostile input on both stores: what the spec-driven negative suite cannot reach (the internal
// operations) and what must be lost nowhere (a refused body changes nothing). SQLite and PostgreSQL
// answer the same 400 naming the same field; neither ever answers 5xx.
import { type HttpsEndpoint, startHttpsEndpoint } from '@pipai/testkit/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalSpec } from '../src/services.ts';
import { type Credentials, INTERNAL_TOKEN, sign, startTestApi, type TestApi } from './support/api.ts';
import { STORE_KINDS } from './support/stores.ts';

/** The spec's own example payload of strategy.deployed: valid, so only the hostile part is wrong. */
const deployed = (internalSpec as { webhooks: Record<string, any> }).webhooks['strategy.deployed'].post.requestBody
  .content['application/json'].example.data as Record<string, unknown>;

describe.each(STORE_KINDS)('hostile input on %s', (kind) => {
  let api: TestApi;
  let owner: Credentials;
  let endpoint: HttpsEndpoint;
  const statuses: number[] = [];
  const hookUrl = (name: string) => `https://hooks.test:${endpoint.port}/${name}-${statuses.length}`;

  beforeAll(async () => {
    api = await startTestApi(kind, { weightBudgetPerMinute: 1_000_000 });
    endpoint = await startHttpsEndpoint('valid', 'hooks.test');
    owner = await api.issueKey('hostile');
  });
  afterAll(async () => {
    // Counted over every request this file made on this store.
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
    await api.close();
    await endpoint.close();
  });

  const publish = async (data: unknown, path = '/internal/v1/events') => {
    const response = await api.publish(
      { account: owner.account, type: 'strategy.deployed', data },
      INTERNAL_TOKEN,
      path,
    );
    statuses.push(response.status);
    return response;
  };

  it.each([
    [
      'a NUL character in a string',
      { ...deployed, name: 'BTC\u0000mean' },
      'data.name',
      'must not contain a NUL character',
    ],
    [
      'an unpaired surrogate in a string',
      { ...deployed, name: 'BTC\ud800' },
      'data.name',
      'must be well-formed Unicode (it has an unpaired surrogate)',
    ],
    [
      'a NUL character in an array item',
      { ...deployed, symbols: ['BTC\u0000USDT'] },
      'data.symbols[0]',
      'must not contain a NUL character',
    ],
    ['a NUL character in a key', { ...deployed, 'x\u0000y': 1 }, 'data.x\u0000y', 'must not contain a NUL character'],
  ])('published data with %s: 400 naming %s, nothing published', async (_why, data, parameter, message) => {
    const response = await publish(data);
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual({ parameter, in: 'body', message });
    expect(await api.opened.store.queue.countUnfinished()).toBe(0);
  });

  it('a balance with a NUL character in the asset: 400 naming balance.asset', async () => {
    const response = await api.publish(
      { account: owner.account, balance: { asset: 'US\u0000DT', available: '1' } },
      INTERNAL_TOKEN,
      '/internal/v1/balances',
    );
    statuses.push(response.status);
    expect(response.status).toBe(400);
    expect(response.body.errors).toContainEqual({
      parameter: 'balance.asset',
      in: 'body',
      message: 'must not contain a NUL character',
    });
  });

  it('a NUL character in a description or a path segment: the same 400 as on the other store', async () => {
    const created = await api.request(owner, 'POST', '/v1/webhooks', {
      url: hookUrl('nul'),
      events: ['*'],
      description: 'a\u0000b',
    });
    statuses.push(created.status);
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([
      { parameter: 'description', in: 'body', message: 'must not contain a NUL character' },
    ]);
    const fetched = await api.request(owner, 'GET', '/v1/webhooks/wh_%00');
    statuses.push(fetched.status);
    expect(fetched.status).toBe(400);
    expect(fetched.body.errors).toContainEqual({
      parameter: 'webhook_id',
      in: 'path',
      message: 'must not contain a NUL character',
    });
  });

  it.each([
    ['no Content-Type', undefined],
    ['an empty Content-Type', ''],
    ['Content-Type: text/plain', 'text/plain'],
    ['Content-Type: application/json; charset=utf-16', 'application/json; charset=utf-16'],
  ])('a rotate asking for grace 0 with %s is refused 415 and rotates nothing', async (_why, contentType) => {
    const webhook = (await api.request(owner, 'POST', '/v1/webhooks', { url: hookUrl('rotate'), events: ['*'] })).body;
    const before = await api.opened.store.webhooks.find(
      (await api.opened.store.accounts.findByName(owner.account))!.id,
      webhook.id,
    );
    const target = `/v1/webhooks/${webhook.id}/secret/rotate`;
    const body = Buffer.from('{"grace_period_seconds":0}');
    const timestamp = String(Date.now());
    const response = await fetch(`${api.baseUrl}${target}`, {
      method: 'POST',
      headers: {
        'X-PipAI-API-Key': owner.api_key,
        'X-PipAI-Timestamp': timestamp,
        'X-PipAI-Signature': sign(owner.api_secret, timestamp, 'POST', target, body.toString()),
        ...(contentType === undefined ? {} : { 'Content-Type': contentType }),
      },
      body,
    });
    statuses.push(response.status);
    expect(response.status).toBe(415);
    expect((await response.json()).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const after = await api.opened.store.webhooks.find(before!.accountId, webhook.id);
    expect(after!.sealedSecret).toBe(before!.sealedSecret);
    expect(after!.previousSealedSecret).toBeNull();
  });

  it.each(['Infinity', '9'.repeat(400), '0x10', '1e1', '05'])(
    'limit=%s on both list operations: 400 naming limit',
    async (limit) => {
      const webhook = (await api.request(owner, 'POST', '/v1/webhooks', { url: hookUrl('limit'), events: ['*'] })).body;
      for (const path of ['/v1/webhooks', `/v1/webhooks/${webhook.id}/deliveries`]) {
        const response = await api.request(owner, 'GET', `${path}?limit=${limit}`);
        statuses.push(response.status);
        expect(response.status, path).toBe(400);
        expect(response.body.errors).toEqual([{ parameter: 'limit', in: 'query', message: 'must be integer' }]);
      }
    },
  );

  it('?__proto__=x is an unknown parameter, not silently dropped', async () => {
    const response = await api.request(owner, 'GET', '/v1/webhooks?__proto__=x');
    statuses.push(response.status);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { parameter: '__proto__', in: 'query', message: 'is not a known parameter' },
    ]);
  });
});
