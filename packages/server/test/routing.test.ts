// One route table, matched exactly: for every operation of the public and internal bundles, every
// other spelling of its path (trailing slash, case, doubled or encoded slashes, dot segments, matrix
// parameters, percent-encoded letters) names no operation. Sent over a raw socket, since fetch would
// normalise most of them away. Nothing is ever a 2xx without credentials, nothing a 5xx, and every
// answer is problem+json.
import { request as httpRequest } from 'node:http';
import { type Json, openApi } from '@pipai/contract/openapi';
import { timestamps } from '@pipai/testkit/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalSpec } from '../src/services.ts';
import { type Credentials, INTERNAL_TOKEN, sign, startTestApi, type TestApi } from './support/api.ts';

const spec = openApi(internalSpec as Json);

interface RawResponse {
  status: number;
  contentType: string | undefined;
  body: any;
}

let api: TestApi;
let key: Credentials;
const nextTimestamp = timestamps();

beforeAll(async () => {
  api = await startTestApi('sqlite', { weightBudgetPerMinute: 1_000_000, authFailuresPerMinute: 1_000_000 });
  key = await api.issueKey('routing');
});
afterAll(() => api.close());

/** The request target goes on the wire byte for byte as given. */
function send(method: string, target: string, headers: Record<string, string> = {}, body = ''): Promise<RawResponse> {
  const { port } = new URL(api.baseUrl);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path: target,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: response.statusCode!,
            contentType: response.headers['content-type'],
            body: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function signedHeaders(method: string, target: string, body: string): Record<string, string> {
  const timestamp = nextTimestamp();
  return {
    'X-PipAI-API-Key': key.api_key,
    'X-PipAI-Timestamp': timestamp,
    'X-PipAI-Signature': sign(key.api_secret, timestamp, method, target, body),
    ...(body ? { 'Content-Type': 'application/json' } : {}),
  };
}

interface Operation {
  method: string;
  template: string;
  path: string;
  internal: boolean;
  body: string;
}

const operations: Operation[] = spec.operations().map(({ path: template, method, operation, parameters }) => {
  const path = template.replace(
    /\{(\w+)\}/g,
    (_, name: string) => spec.deref(parameters.find((p) => p.name === name)!.schema).examples[0],
  );
  const media = operation.requestBody?.content['application/json'];
  const example = media?.example ?? Object.values<Json>(media?.examples ?? {})[0]?.value;
  return {
    method: method.toUpperCase(),
    template,
    path,
    internal: operation['x-internal'] === true,
    body: example ? JSON.stringify(example) : '',
  };
});

/** Every other way to write `path` that a lenient router (or a proxy) might take for it. */
function spellings(path: string): string[] {
  const segments = path.split('/'); // ['', 'v1', 'webhooks', ...]
  const literal = segments.findIndex((segment, index) => index > 0 && /^[a-z]/.test(segment) && segment !== 'v1');
  const encodedLetter = [...segments];
  encodedLetter[literal] = `%${segments[literal]!.charCodeAt(0).toString(16)}${segments[literal]!.slice(1)}`;
  const upperLetter = [...segments];
  upperLetter[literal] = segments[literal]![0]!.toUpperCase() + segments[literal]!.slice(1);
  return [
    `${path}/`,
    `${path}//`,
    path.toUpperCase(),
    `/${segments[1]![0]!.toUpperCase()}${segments[1]!.slice(1)}/${segments.slice(2).join('/')}`,
    upperLetter.join('/'),
    encodedLetter.join('/'),
    `/${path}`,
    path.replace(/\/([^/]+)$/, '//$1'),
    `${segments.slice(0, -1).join('/')}%2F${segments.at(-1)}`,
    `${segments.slice(0, -1).join('/')}%2f${segments.at(-1)}`,
    `/./${path.slice(1)}`,
    `${segments.slice(0, 2).join('/')}/./${segments.slice(2).join('/')}`,
    `${segments.slice(0, 2).join('/')}/x/../${segments.slice(2).join('/')}`,
    `${segments.slice(0, 2).join('/')}/%2e/${segments.slice(2).join('/')}`,
    `${path}/.`,
    `${path};x=1`,
    `${segments.slice(0, 2).join('/')};a=b/${segments.slice(2).join('/')}`,
    `${path}%20`,
    `${path}%00`,
    `${path}\\`.replace('\\', '%5C'),
  ];
}

describe('exact routing for every operation of both bundles', () => {
  it('covers the public and the internal operations', () => {
    expect(operations.filter((operation) => operation.internal).map((operation) => operation.template)).toEqual([
      '/internal/v1/events',
      '/internal/v1/balances',
    ]);
    expect(operations.filter((operation) => !operation.internal)).toHaveLength(14);
  });

  describe.each(operations.map((operation) => [`${operation.method} ${operation.template}`, operation] as const))(
    '%s',
    (_name, operation) => {
      it('as documented: 401 without credentials', async () => {
        const response = await send(
          operation.method,
          operation.path,
          operation.body ? { 'Content-Type': 'application/json' } : {},
          operation.body,
        );
        expect(response.status).toBe(401);
        expect(response.contentType).toMatch(/^application\/problem\+json/);
      });

      // A spelling either names no operation (404), or — where only a parameter's segment changed — is
      // the same operation with another value, which must still authenticate and then fails validation.
      it.each(spellings(operation.path))('%s: never a 2xx or 5xx, always problem+json', async (target) => {
        const credentials = operation.internal
          ? {
              authorization: `Bearer ${INTERNAL_TOKEN}`,
              ...(operation.body ? { 'Content-Type': 'application/json' } : {}),
            }
          : signedHeaders(operation.method, target, operation.body);
        const anonymous = await send(operation.method, target, {}, operation.body);
        const authenticated = await send(operation.method, target, credentials, operation.body);
        for (const response of [anonymous, authenticated]) {
          expect(response.contentType, `${operation.method} ${target}`).toMatch(/^application\/problem\+json/);
        }
        if (anonymous.status === 404) {
          expect(authenticated.status, `${operation.method} ${target}`).toBe(404);
          expect(authenticated.body.code).toBe('NOT_FOUND');
        } else {
          expect(anonymous.status, `${operation.method} ${target}`).toBe(401);
          expect(authenticated.status, `${operation.method} ${target}`).toBe(400);
          expect(authenticated.body.errors.every((error: { in: string }) => error.in === 'path')).toBe(true);
        }
      });
    },
  );

  it('published nothing through any of those spellings', async () => {
    expect(await api.opened.store.queue.countUnfinished()).toBe(0);
    expect(api.logs.filter((line) => line.includes('"status":5'))).toEqual([]);
  });
});

describe('requests that are not for the route table', () => {
  it('a request target in absolute form names no operation', async () => {
    const response = await send('GET', `${api.baseUrl}/v1/webhooks`, signedHeaders('GET', '/v1/webhooks', ''));
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
  });

  it('an unknown method on a documented path is a 404 problem', async () => {
    const response = await send('PUT', '/v1/webhooks', signedHeaders('PUT', '/v1/webhooks', ''));
    expect(response.status).toBe(404);
    expect(response.contentType).toMatch(/^application\/problem\+json/);
  });

  it('a GET with a body is refused, naming the body, not silently read past', async () => {
    const body = '{"status":"active"}';
    const response = await send('GET', '/v1/webhooks', signedHeaders('GET', '/v1/webhooks', body), body);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([
      { parameter: 'body', in: 'body', message: 'must be empty: this operation takes no request body' },
    ]);
  });
});

describe('the internal bearer token', () => {
  const publish = (authorization: string) =>
    send(
      'POST',
      '/internal/v1/balances',
      { authorization, 'Content-Type': 'application/json' },
      JSON.stringify({ account: 'routing', balance: { asset: 'USDT', available: '100.00' } }),
    );

  it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])(
    'is accepted with the scheme spelled %s (RFC 9110: case-insensitive)',
    async (scheme) => {
      expect((await publish(`${scheme} ${INTERNAL_TOKEN}`)).status).toBe(202);
    },
  );

  it.each([
    `Bearer  ${INTERNAL_TOKEN}x`,
    `Basic ${INTERNAL_TOKEN}`,
    `Bearer${INTERNAL_TOKEN}`,
    INTERNAL_TOKEN,
    'Bearer ',
  ])('is refused as %j', async (header) => {
    const response = await publish(header);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });
});
