// The SDK against the real server: every operation, signing, typed errors, pagination, rate-limit
// retries, timeouts and cancellation.
import { readFileSync } from 'node:fs';
import { publicSpecPath } from '@pipai/contract/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipAIClient, type PipAIClient, PipAIError, paginate } from '../src/index.ts';
import { createRequestSigner } from '../src/signing.ts';
import { startServer, type TestServer } from './support/server.ts';

let server: TestServer;
let client: PipAIClient;

beforeAll(async () => {
  server = await startServer();
  client = createPipAIClient({
    baseUrl: server.baseUrl,
    apiKey: server.credentials.api_key,
    apiSecret: server.credentials.api_secret,
  });
});
afterAll(() => server.close());

describe('signing', () => {
  it("reproduces the spec's test vector", async () => {
    const vector = JSON.parse(readFileSync(publicSpecPath, 'utf8')).components.securitySchemes.Signature[
      'x-test-vector'
    ];
    const signer = createRequestSigner(vector.api_key, vector.api_secret, () => Number(vector.timestamp));
    const body = new TextEncoder().encode(vector.body);
    const signed = await signer.sign(
      new Request(`https://api.pipai.example${vector.target}`, { method: vector.method, body }),
      body.buffer,
    );
    expect(signed.headers.get('X-PipAI-API-Key')).toBe(vector.api_key);
    expect(signed.headers.get('X-PipAI-Timestamp')).toBe(vector.timestamp);
    expect(signed.headers.get('X-PipAI-Signature')).toBe(vector.signature);
  });

  it('keeps timestamps strictly increasing, so identical parallel calls are not replays', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => client.GET('/v1/webhooks')));
    expect(results.map((result) => result.response.status)).toEqual(Array(10).fill(200));
  });

  it('is rejected when the request is tampered with after signing', async () => {
    const tampering = createPipAIClient({
      ...server.credentials,
      baseUrl: server.baseUrl,
      apiKey: server.credentials.api_key,
      apiSecret: server.credentials.api_secret,
      fetch: async (request) => {
        const url = new URL(request.url);
        url.searchParams.set('limit', '99');
        return fetch(new Request(url, request));
      },
    });
    const { error, response } = await tampering.GET('/v1/webhooks', { params: { query: { limit: 5 } } });
    expect(response.status).toBe(401);
    expect(error?.code).toBe('INVALID_SIGNATURE');
  });
});

describe('operations', () => {
  it('create, get, update, list, delete, with types from the spec', async () => {
    const created = await client.POST('/v1/webhooks', {
      body: { url: server.hookUrl('sdk'), events: ['strategy.deployed', 'backtest.*'], description: 'SDK' },
    });
    expect(created.response.status).toBe(201);
    const webhook = created.data!;
    expect(webhook.secret).toMatch(/^[A-Za-z0-9_-]{40}$/);
    const id = webhook.id;

    const fetched = await client.GET('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: id } } });
    expect(fetched.data).toMatchObject({ id, status: 'active', description: 'SDK' });

    const updated = await client.PATCH('/v1/webhooks/{webhook_id}', {
      params: { path: { webhook_id: id } },
      body: { status: 'paused' },
    });
    expect(updated.data?.status).toBe('paused');

    const listed = await client.GET('/v1/webhooks', {
      params: { query: { status: 'paused', event: 'backtest.job_done' } },
    });
    expect(listed.data?.data.map((item) => item.id)).toEqual([id]);

    const types = await client.GET('/v1/webhook-event-types');
    expect(types.data?.data).toHaveLength(11);

    const deleted = await client.DELETE('/v1/webhooks/{webhook_id}', { params: { path: { webhook_id: id } } });
    expect(deleted.response.status).toBe(204);
  });
});

describe('errors', () => {
  it('are returned typed as { error } by default', async () => {
    const { data, error, response } = await client.GET('/v1/webhooks/{webhook_id}', {
      params: { path: { webhook_id: 'wh_00000000' } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(error?.request_id).toMatch(/^req_/);
  });

  it('are thrown as PipAIError when asked', async () => {
    const throwing = createPipAIClient({
      baseUrl: server.baseUrl,
      apiKey: server.credentials.api_key,
      apiSecret: server.credentials.api_secret,
      throwOnError: true,
    });
    const failure = await throwing
      .POST('/v1/webhooks', { body: { url: 'http://hooks.test/', events: ['*'] } })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PipAIError);
    const error = failure as PipAIError;
    expect(error.status).toBe(400);
    expect(error.code).toBe('INVALID_PARAMETER');
    expect(error.errors).toEqual([{ parameter: 'url', in: 'body', message: 'must start with https://' }]);
    expect(error.requestId).toMatch(/^req_/);
    expect(String(error)).toMatch(/^INVALID_PARAMETER: url: must start with https:\/\/ \(req_[0-9a-f]{24}\)$/);
  });

  it('wrong credentials are UNAUTHENTICATED', async () => {
    const stranger = createPipAIClient({
      baseUrl: server.baseUrl,
      apiKey: 'key_0000000000000000',
      apiSecret: 'sk_x',
      throwOnError: true,
    });
    await expect(stranger.GET('/v1/webhooks')).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401 });
  });
});

describe('pagination', () => {
  it('iterates every item over more than three pages', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 17; index += 1) {
      const { data } = await client.POST('/v1/webhooks', {
        body: { url: server.hookUrl(`page-${index}`), events: ['account.*'] },
      });
      ids.push(data!.id);
    }
    const pages: string[] = [];
    const counting = createPipAIClient({
      baseUrl: server.baseUrl,
      apiKey: server.credentials.api_key,
      apiSecret: server.credentials.api_secret,
      fetch: (request) => {
        pages.push(request.url);
        return fetch(request);
      },
    });
    const seen: string[] = [];
    for await (const webhook of paginate(counting, '/v1/webhooks', {
      params: { query: { limit: 4, event: 'account.api_key_rotated' } },
    })) {
      seen.push(webhook.id);
    }
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toHaveLength(5);
    expect(pages.slice(1).every((url) => url.includes('cursor='))).toBe(true);
  });

  it('throws PipAIError when a page fails', async () => {
    const pages = paginate(client, '/v1/webhooks', { params: { query: { limit: 500 } } });
    await expect(pages.next()).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });
});

describe('rate limits', () => {
  // The limited server's clock stands still unless the test moves it, so its rolling window never
  // rolls over between two requests however slowly they run. It starts on a whole second (weights
  // are kept per second) and near real time, since the client signs with Date.now().
  // The server's clock stands still; only the tests move it (and the client's injected sleep).
  const clock = {
    frozenAt: Math.floor(Date.now() / 1000) * 1000,
    now() {
      return this.frozenAt;
    },
    set(at: number) {
      this.frozenAt = at;
    },
  };
  let limited: TestServer;
  beforeAll(async () => {
    // Budget 4, list weighs 2. The signature window is wide enough for the client's real-time
    // timestamps against a clock the test moves minutes ahead.
    limited = await startServer({ now: () => clock.now(), weightBudgetPerMinute: 4, signatureWindowMs: 600_000 });
  });
  afterAll(() => limited.close());

  it('retries after Retry-After when asked, signing the retry afresh', async () => {
    const start = clock.frozenAt;
    const attempts: number[] = [];
    const waits: number[] = [];
    const retrying = createPipAIClient({
      baseUrl: limited.baseUrl,
      apiKey: limited.credentials.api_key,
      apiSecret: limited.credentials.api_secret,
      // Waiting is moving the server's clock: a retry sent before Retry-After had passed would still
      // find the window full and be refused again.
      retryRateLimited: {
        maxRetries: 2,
        maxWaitMs: 5_000,
        sleep: async (ms) => {
          waits.push(ms);
          clock.set(clock.now() + ms);
        },
      },
      fetch: async (request) => {
        const response = await fetch(request);
        attempts.push(response.status);
        return response;
      },
    });
    expect((await retrying.GET('/v1/webhooks')).response.status).toBe(200);
    expect((await retrying.GET('/v1/webhooks')).response.status).toBe(200);
    // 59.5 s later both charges have 0.5 s left in the window: Retry-After 1 (whole seconds, rounded up).
    clock.set(start + 59_500);
    const third = await retrying.GET('/v1/webhooks');
    expect(third.response.status).toBe(200);
    // One 429, one wait of exactly its Retry-After, then one retry that the server admitted; it was
    // signed afresh, or the server would have refused it as a replay.
    expect(attempts).toEqual([200, 200, 429, 200]);
    expect(waits).toEqual([1_000]);
  });

  it('does not wait longer than maxWaitMs, and without opting in returns the 429', async () => {
    const plain = createPipAIClient({
      baseUrl: limited.baseUrl,
      apiKey: limited.credentials.api_key,
      apiSecret: limited.credentials.api_secret,
    });
    const impatient = createPipAIClient({
      baseUrl: limited.baseUrl,
      apiKey: limited.credentials.api_key,
      apiSecret: limited.credentials.api_secret,
      retryRateLimited: { maxWaitMs: 100 },
      throwOnError: true,
    });
    clock.set(clock.now() + 120_000);
    await plain.GET('/v1/webhooks');
    await plain.GET('/v1/webhooks');
    const { error, response } = await plain.GET('/v1/webhooks');
    expect(response.status).toBe(429);
    expect(error?.code).toBe('RATE_LIMITED');
    // The clock stood still since the two charges: the whole minute is left.
    expect(Number(response.headers.get('retry-after'))).toBe(60);
    // Another query than the plain client's last call: two signers may pick the same millisecond,
    // and an identical signed request would be refused as a replay.
    await expect(impatient.GET('/v1/webhooks', { params: { query: { limit: 10 } } })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfter: 60,
    });
  });
});

describe('timeouts and cancellation', () => {
  // A fetch that never answers, but honours abort as the real one does.
  const hanging = (request: Request) =>
    new Promise<Response>((_resolve, reject) => {
      if (request.signal.aborted) return reject(request.signal.reason);
      request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
    });

  it('aborts a call that exceeds timeoutMs', async () => {
    const slow = createPipAIClient({
      baseUrl: server.baseUrl,
      apiKey: 'key_x',
      apiSecret: 'sk_x',
      timeoutMs: 50,
      fetch: hanging,
    });
    await expect(slow.GET('/v1/webhooks')).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it("aborts when the caller's signal fires", async () => {
    const slow = createPipAIClient({ baseUrl: server.baseUrl, apiKey: 'key_x', apiSecret: 'sk_x', fetch: hanging });
    const controller = new AbortController();
    const call = slow.GET('/v1/webhooks', { signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });
});
