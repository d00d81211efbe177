// The HTTP layer's guarantees, with handler doubles where the point is what the layer does around
// them: response validation against the spec, problem+json for anything unexpected, no extra routes.

import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { components } from '@pipai/contract';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../src/crypto/secret-box.ts';
import { AccountService } from '../src/domain/accounts.ts';
import { Authenticator } from '../src/domain/authenticator.ts';
import { systemClock } from '../src/domain/clock.ts';
import { RateLimiter } from '../src/domain/rate-limiter.ts';
import { SCOPES } from '../src/domain/scopes.ts';
import { createApp } from '../src/http/app.ts';
import { operationHandlers } from '../src/http/handlers.ts';
import type { OperationHandlers } from '../src/http/operation-types.ts';
import { routesOf } from '../src/http/routes.ts';
import { internalSpec } from '../src/services.ts';
import { type Credentials, MASTER_KEY, sign } from './support/api.ts';
import { type OpenedStore, openTestStore } from './support/stores.ts';

let opened: OpenedStore;
let baseUrl: string;
let close: () => Promise<void>;
let key: Credentials;
const logs: string[] = [];

const webhook: components['schemas']['Webhook'] = {
  id: 'wh_2a4f10',
  url: 'https://example.com/pipai-webhook',
  events: ['strategy.deployed'],
  description: null,
  status: 'active',
  consecutive_failures: 0,
  last_delivery_at: null,
  last_success_at: null,
  created_at: '2026-04-29T12:00:00Z',
};

// Handler doubles: each answers something the spec does or does not allow.
const doubles: OperationHandlers = {
  getWebhook: (req, res) => {
    if (req.params.webhook_id === 'wh_000001') res.json(webhook);
    // Bodies the spec does not allow get past the handler's types only by a cast, as a bug would.
    else if (req.params.webhook_id === 'wh_000002') res.json({ ...webhook, secret: 'leaked-secret-value' } as never);
    else if (req.params.webhook_id === 'wh_000003') res.json({ ...webhook, consecutiveFailures: 0 } as never);
    else throw new Error('database on fire at /srv/pipai/secret/path.ts:42');
  },
};

beforeAll(async () => {
  opened = await openTestStore('sqlite');
  const secrets = new SecretBox(MASTER_KEY);
  const { store } = opened;
  key = await new AccountService({ accounts: store.accounts, secrets, clock: systemClock }).createKey('http', [
    'webhooks:read',
  ]);
  const app = createApp({
    spec: internalSpec,
    handlers: doubles,
    authenticator: new Authenticator({
      accounts: store.accounts,
      admission: store.admission,
      rateLimiter: new RateLimiter({ admission: store.admission, clock: systemClock, budgetPerMinute: 1_000 }),
      secrets,
      clock: systemClock,
      windowMs: 30_000,
    }),
    logger: pino(
      { level: 'info' },
      new Writable({
        write: (chunk, _encoding, done) => {
          logs.push(chunk.toString());
          done();
        },
      }),
    ),
    validateResponses: true,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await opened.dispose();
  };
});
afterAll(() => close());

async function get(target: string) {
  const timestamp = String(Date.now());
  const response = await fetch(`${baseUrl}${target}`, {
    headers: {
      'X-PipAI-API-Key': key.api_key,
      'X-PipAI-Timestamp': timestamp,
      'X-PipAI-Signature': sign(key.api_secret, timestamp, 'GET', target, ''),
    },
  });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('response validation (on in tests)', () => {
  it('lets a response that matches the spec through', async () => {
    const response = await get('/v1/webhooks/wh_000001');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual(webhook);
  });

  it.each([
    ['a secret in a webhook', 'wh_000002'],
    ['a renamed field', 'wh_000003'],
  ])('turns %s into a 500 INTERNAL problem, never the body', async (_name, id) => {
    const response = await get(`/v1/webhooks/${id}`);
    expect(response.status).toBe(500);
    expect(response.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(response.text).code).toBe('INTERNAL');
    expect(response.text).not.toContain('leaked-secret-value');
  });
});

describe('unexpected errors', () => {
  it('leave as problem+json INTERNAL without a stack trace or internal detail, and are logged', async () => {
    const response = await get('/v1/webhooks/wh_000004');
    expect(response.status).toBe(500);
    const problem = JSON.parse(response.text);
    expect(problem).toMatchObject({ code: 'INTERNAL', status: 500, title: 'Internal error' });
    expect(problem.request_id).toMatch(/^req_[0-9a-f]{24}$/);
    expect(response.text).not.toMatch(/on fire|\.ts|at /);
    expect(logs.join('')).toContain('database on fire');
  });

  it('a malformed percent-encoding in a path parameter is a 400 naming the parameter', async () => {
    const response = await get('/v1/webhooks/%E0%A4%A');
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text).errors).toEqual([
      { parameter: 'webhook_id', in: 'path', message: 'is not validly percent-encoded' },
    ]);
  });
});

describe('routes', () => {
  it('there is exactly one handler per operation of the spec, and the table carries scopes and weights', () => {
    const routes = routesOf(internalSpec);
    const operationIds = routes.map((route) => route.operationId);
    const handlers = operationHandlers({} as never);
    expect(Object.keys(handlers).sort()).toEqual([...operationIds].sort());
    expect(routes.find((route) => route.operationId === 'createWebhook')).toMatchObject({
      method: 'POST',
      path: '/v1/webhooks',
      scope: 'webhooks:write',
      takesBody: true,
      weight: 5,
      internal: false,
    });
    expect(routes.find((route) => route.operationId === 'publishEvent')).toMatchObject({
      internal: true,
      scope: undefined,
    });
    expect(routes.find((route) => route.operationId === 'listWebhooks')).toMatchObject({
      takesBody: false,
      queryParameters: ['status', 'event', 'limit', 'cursor'],
      integerQueryParameters: ['limit'],
    });
    // The scopes keys can carry are exactly those the spec's operations require.
    expect(new Set(routes.map((route) => route.scope).filter(Boolean))).toEqual(new Set(SCOPES));
  });
});
