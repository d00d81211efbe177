// Failed authentication is throttled per client address and per API key id, shared across processes
// on PostgreSQL, and a stranger's failures never lock a key's owner out of correctly signed requests.
// Client addresses differ by binding the client's socket to other loopback addresses (127.0.0.x).
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Credentials, INTERNAL_TOKEN, sign, startTestApi, type TestApi } from './support/api.ts';
import { tickingClock } from './support/clock.ts';
import { STORE_KINDS } from './support/stores.ts';

const LIMIT = 5;
const STRANGER = '127.0.0.2';
const OWNER = '127.0.0.3';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: any;
}

/** A GET /v1/webhooks from `from`; signed with `secret` (the right one or not), or unsigned. */
function call(
  api: TestApi,
  from: string,
  headers: Record<string, string>,
  path = '/v1/webhooks',
  method = 'GET',
  body = '',
): Promise<Answer> {
  const { port } = new URL(api.baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, localAddress: from, method, path, headers }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode!,
          retryAfter: response.headers['retry-after'] as string | undefined,
          body: text ? JSON.parse(text) : undefined,
        }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

const signed = (clock: { now(): number }, key: Credentials, secret = key.api_secret) => {
  const timestamp = String(clock.now());
  return {
    'X-PipAI-API-Key': key.api_key,
    'X-PipAI-Timestamp': timestamp,
    'X-PipAI-Signature': sign(secret, timestamp, 'GET', '/v1/webhooks', ''),
  };
};
const WRONG_SECRET = 'sk_not_the_secret_of_this_key_at_all_000000';

const apis: TestApi[] = [];
afterEach(async () => {
  await Promise.all(apis.splice(0).map((api) => api.close()));
});

describe.each(STORE_KINDS)('failed authentication on %s', (kind) => {
  const start = async (postgresUrl?: string) => {
    const clock = tickingClock();
    const api = await startTestApi(kind, {
      clock,
      authFailuresPerMinute: LIMIT,
      ...(postgresUrl ? { postgresUrl } : {}),
    });
    apis.push(api);
    return { api, clock };
  };

  it('is answered 401 up to the limit per address, then 429 with Retry-After, and the address is refused until its minute passes', async () => {
    const { api, clock } = await start();
    const key = await api.issueKey('victim');
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push((await call(api, STRANGER, {})).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const refused = await call(api, STRANGER, signed(clock, key));
    expect(refused).toMatchObject({ status: 429, body: { code: 'RATE_LIMITED', status: 429 } });
    expect(refused.body.detail).toMatch(
      /^Too many requests from this address failed authentication in the last minute; retry in \d+ s\.$/,
    );
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    // Another address is not concerned.
    expect((await call(api, OWNER, signed(clock, key))).status).toBe(200);
    // A minute later the address may try again.
    clock.time += 60_001;
    expect((await call(api, STRANGER, signed(clock, key))).status).toBe(200);
    expect((await call(api, STRANGER, {})).status).toBe(401);
  });

  it("counts failures naming a key against it, from any address, yet lets its owner's signed requests through", async () => {
    const { api, clock } = await start();
    const key = await api.issueKey('victim');
    const statuses: number[] = [];
    // A stranger spreads guesses over addresses to stay under the per-address limit.
    for (let i = 0; i < LIMIT + 2; i++)
      statuses.push((await call(api, `127.0.1.${i + 1}`, signed(clock, key, WRONG_SECRET))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const throttled = await call(api, '127.0.2.1', signed(clock, key, WRONG_SECRET));
    expect(throttled.body.detail).toMatch(/^Too many requests naming this API key failed authentication/);
    // The owner, signing correctly, is never refused because of the stranger.
    for (let i = 0; i < 3; i++) expect((await call(api, OWNER, signed(clock, key))).status).toBe(200);
  });

  it('never counts an unknown key id as a key (only its address), so guessing ids leaves no trace per id', async () => {
    const { api, clock } = await start();
    const real = await api.issueKey('victim');
    for (let i = 0; i < LIMIT; i++) {
      const answer = await call(
        api,
        `127.0.3.${i + 1}`,
        signed(clock, { ...real, api_key: `key_${String(i).padStart(16, '0')}` }),
      );
      expect(answer.body.code).toBe('UNAUTHENTICATED');
    }
    expect((await call(api, '127.0.3.100', signed(clock, real, WRONG_SECRET))).body.code).toBe('INVALID_SIGNATURE');
  });

  it('throttles wrong internal tokens per address too', async () => {
    const { api } = await start();
    const publish = (token: string) =>
      call(
        api,
        STRANGER,
        { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        '/internal/v1/balances',
        'POST',
        '{"account":"a","balance":{"asset":"USDT","available":"1"}}',
      );
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await publish('wrong-token')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect((await publish(INTERNAL_TOKEN)).status).toBe(429);
  });
});

describe('failed authentication across two processes on one PostgreSQL database', () => {
  it('shares the counts: failures on either process add up to one limit', async () => {
    const clock = tickingClock();
    const first = await startTestApi('postgres', { clock, authFailuresPerMinute: LIMIT });
    apis.push(first);
    const second = await startTestApi('postgres', {
      clock,
      authFailuresPerMinute: LIMIT,
      postgresUrl: first.opened.location,
    });
    apis.push(second);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) statuses.push((await call(i % 2 ? second : first, STRANGER, {})).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // The other process learns it from the shared count on its next failure from that address.
    expect((await call(first, STRANGER, {})).status).toBe(429);
  });
});
