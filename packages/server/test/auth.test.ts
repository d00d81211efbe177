// The signed-request matrix over real HTTP: every way a request can fail to authenticate, and the
// weight budget, on both stores.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Credentials, sign, startTestApi, type TestApi } from './support/api.ts';
import { tickingClock } from './support/clock.ts';
import { STORE_KINDS } from './support/stores.ts';

// A clock the test moves by hand; it ticks 1 ms per reading so that no two requests sign alike.
const clock = tickingClock();

describe.each(STORE_KINDS)('authentication on %s', (kind) => {
  let api: TestApi;
  let key: Credentials;

  beforeAll(async () => {
    api = await startTestApi(kind, { clock, weightBudgetPerMinute: 50 });
    key = await api.issueKey('auth', ['webhooks:read']);
  });
  afterAll(() => api.close());

  const list = (options: Parameters<TestApi['request']>[4] = {}, credentials = key) =>
    api.request(credentials, 'GET', '/v1/webhooks?limit=5', undefined, options);

  const expectCode = async (promise: ReturnType<typeof list>, status: number, code: string) => {
    const response = await promise;
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body.code).toBe(code);
    return response;
  };

  it('accepts a correctly signed request', async () => {
    const response = await list();
    expect(response.status).toBe(200);
  });

  it.each(['X-PipAI-API-Key', 'X-PipAI-Timestamp', 'X-PipAI-Signature'] as const)(
    '401 UNAUTHENTICATED without %s',
    async (header) => {
      const response = await expectCode(list({ omit: header }), 401, 'UNAUTHENTICATED');
      expect(response.body.detail).toContain(header);
      expect(response.headers.get('x-pipai-weight-used')).toBeNull();
    },
  );

  it('401 UNAUTHENTICATED for an unknown key, a malformed timestamp or signature', async () => {
    await expectCode(list({}, { ...key, api_key: 'key_0000000000000000' }), 401, 'UNAUTHENTICATED');
    await expectCode(list({ timestamp: '2026-11-22T12:00:00Z' }), 401, 'UNAUTHENTICATED');
    await expectCode(list({ signature: 'not-hex' }), 401, 'UNAUTHENTICATED');
  });

  it('401 INVALID_SIGNATURE for a wrong secret, a tampered query and a tampered body', async () => {
    await expectCode(list({ secret: 'sk_wrong' }), 401, 'INVALID_SIGNATURE');
    // Signed for limit=5, sent with limit=50.
    await expectCode(
      api.request(key, 'GET', '/v1/webhooks?limit=50', undefined, { signedTarget: '/v1/webhooks?limit=5' }),
      401,
      'INVALID_SIGNATURE',
    );
    const writer = await api.issueKey('auth-writer');
    await expectCode(
      api.request(
        writer,
        'POST',
        '/v1/webhooks',
        { url: 'https://evil.test/', events: ['*'] },
        {
          signedBody: JSON.stringify({ url: 'https://good.test/', events: ['*'] }),
        },
      ),
      401,
      'INVALID_SIGNATURE',
    );
    // Signed over the method too.
    const timestamp = String(clock.now());
    await expectCode(
      api.request(key, 'GET', '/v1/webhooks?limit=5', undefined, {
        timestamp,
        signature: sign(key.api_secret, timestamp, 'POST', '/v1/webhooks?limit=5', ''),
      }),
      401,
      'INVALID_SIGNATURE',
    );
  });

  it('401 TIMESTAMP_OUT_OF_WINDOW beyond 30 s either way, accepted within', async () => {
    await expectCode(list({ timestamp: String(clock.now() - 31_000) }), 401, 'TIMESTAMP_OUT_OF_WINDOW');
    await expectCode(list({ timestamp: String(clock.now() + 31_000) }), 401, 'TIMESTAMP_OUT_OF_WINDOW');
    expect((await list({ timestamp: String(clock.now() - 29_000) })).status).toBe(200);
    expect((await list({ timestamp: String(clock.now() + 29_000) })).status).toBe(200);
  });

  it('401 INVALID_SIGNATURE on replay of the very same signed request', async () => {
    const timestamp = String(clock.now());
    expect((await list({ timestamp })).status).toBe(200);
    const replay = await expectCode(list({ timestamp }), 401, 'INVALID_SIGNATURE');
    expect(replay.body.detail).toMatch(/already used/);
  });

  it('403 INSUFFICIENT_PERMISSION for a missing scope', async () => {
    await expectCode(
      api.request(key, 'POST', '/v1/webhooks', { url: 'https://hooks.test/', events: ['*'] }),
      403,
      'INSUFFICIENT_PERMISSION',
    );
  });

  it('401 UNAUTHENTICATED once the key is revoked', async () => {
    const doomed = await api.issueKey('auth-doomed', ['webhooks:read']);
    expect((await list({}, doomed)).status).toBe(200);
    expect(await api.opened.store.accounts.revokeKey(doomed.api_key, clock.now())).toBe(true);
    await expectCode(list({}, doomed), 401, 'UNAUTHENTICATED');
  });

  it('charges weights per key per rolling minute and answers 429 RATE_LIMITED with Retry-After', async () => {
    const spender = await api.issueKey('auth-spender', ['webhooks:read']);
    const other = await api.issueKey('auth-spender', ['webhooks:read']);
    // Budget 50, list weighs 2: 25 requests fit.
    for (let index = 1; index <= 25; index += 1) {
      const response = await list({}, spender);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-pipai-weight-used')).toBe(String(index * 2));
      expect(response.headers.get('x-pipai-weight-limit')).toBe('50');
    }
    const limited = await expectCode(list({}, spender), 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(limited.headers.get('x-pipai-weight-used')).toBe('50');
    // Authentic, only out of weight: the request log names the key it was refused for.
    const requestId = limited.headers.get('x-request-id');
    const logged = api.logs.map((line) => JSON.parse(line)).find((line) => line.request_id === requestId);
    expect(logged).toMatchObject({ status: 429, api_key: spender.api_key, account: 'auth-spender' });
    // Another key of the same account has its own budget.
    expect((await list({}, other)).status).toBe(200);
    // A minute later the window has rolled.
    clock.time += 60_001;
    expect((await list({}, spender)).headers.get('x-pipai-weight-used')).toBe('2');
  });

  it('never puts a signature or secret in the logs', async () => {
    const logged = api.logs.join('\n');
    expect(api.logs.length).toBeGreaterThan(10);
    expect(logged).not.toContain(key.api_secret);
    expect(logged).not.toMatch(/[0-9a-f]{64}/);
  });
});
