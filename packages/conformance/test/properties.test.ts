// Property-based: bodies and queries generated from the spec's schemas, valid or mutated, sent to the
// real server. Whatever arrives, the answer is never a 5xx, always a documented status, and always
// matches the spec.

import { type EmbeddedServer, startEmbeddedServer } from '@pipai/server';
import { testCaPem } from '@pipai/testkit/pki';
import { signedFetcher } from '@pipai/testkit/signing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arbitraryFor, mutated } from '../src/arbitraries.ts';
import { createResponseChecker, loadPublicSpec } from '../src/responses.ts';

const spec = loadPublicSpec();
const check = createResponseChecker(spec);
let server: EmbeddedServer;
let signed: ReturnType<typeof signedFetcher>;
let webhookId: string;

async function send(method: string, target: string, body?: unknown) {
  const response = await signed(method, target, body === undefined ? '' : JSON.stringify(body));
  const raw = await response.text();
  const parsed = raw ? JSON.parse(raw) : undefined;
  return {
    status: response.status,
    problems: check(
      method,
      `${server.baseUrl}${target}`,
      response.status,
      response.headers.get('content-type'),
      parsed,
    ),
  };
}

const schemaOf = (path: string, method: string) =>
  spec.paths[path][method].requestBody.content['application/json'].schema;

beforeAll(async () => {
  server = await startEmbeddedServer({
    network: { lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowLoopback: true, extraCa: [testCaPem] },
    weightBudgetPerMinute: 1_000_000,
  });
  signed = signedFetcher(server.baseUrl, await server.issueKey('properties'));
  // An id that exists on no account: PATCH bodies are validated before the lookup (400), and valid
  // ones end in the documented 404.
  webhookId = 'wh_0000abcd';
});
afterAll(() => server.close());

describe('generated and mutated requests', () => {
  const property = (
    name: string,
    arbitrary: fc.Arbitrary<unknown>,
    request: (value: unknown) => Promise<{ status: number; problems: unknown[] }>,
  ) =>
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (value) => {
          const { status, problems } = await request(value);
          expect(status).toBeLessThan(500);
          expect(problems).toEqual([]);
        }),
        { numRuns: 60 },
      );
    }, 60_000);

  property('POST /v1/webhooks bodies', mutated(arbitraryFor(spec, schemaOf('/v1/webhooks', 'post'))), (body) =>
    send('POST', '/v1/webhooks', body),
  );
  property(
    'PATCH /v1/webhooks/{webhook_id} bodies',
    mutated(arbitraryFor(spec, schemaOf('/v1/webhooks/{webhook_id}', 'patch'))),
    (body) => send('PATCH', `/v1/webhooks/${webhookId}`, body),
  );
  property(
    'GET /v1/webhooks queries',
    mutated(
      fc.record(
        {
          status: fc.constantFrom('active', 'paused', 'broken', 'deleted', ''),
          event: fc.constantFrom('strategy.*', '*', 'strategy.deployed', 'nope', 'account.balance_low'),
          limit: fc.oneof(fc.integer({ min: -5, max: 130 }).map(String), fc.constant('x')),
          cursor: fc.string({ maxLength: 20 }),
        },
        { requiredKeys: [] },
      ),
    ),
    (query) => {
      const entries =
        query && typeof query === 'object' && !Array.isArray(query)
          ? Object.entries(query as Record<string, unknown>)
          : [];
      const search = new URLSearchParams(
        entries.map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
      ).toString();
      return send('GET', `/v1/webhooks${search ? `?${search}` : ''}`);
    },
  );
});
