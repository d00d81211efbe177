// Spec-driven negative tests on the real server: every generated request that breaks one documented
// constraint gets 400 problem+json naming exactly that parameter; nothing ever gets a 5xx.
import { startEmbeddedServer, type EmbeddedServer } from '@pipai/server';
import { testCaPem } from '@pipai/testkit/pki';
import { signedFetcher } from '@pipai/testkit/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negativeCases } from '../src/negative-cases.ts';
import { createResponseChecker, loadPublicSpec } from '../src/responses.ts';

const spec = loadPublicSpec();
const cases = negativeCases(spec);
const check = createResponseChecker(spec);
let server: EmbeddedServer;
let signed: ReturnType<typeof signedFetcher>;

beforeAll(async () => {
  server = await startEmbeddedServer({
    network: { lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowLoopback: true, extraCa: [testCaPem] },
    weightBudgetPerMinute: 1_000_000,
  });
  signed = signedFetcher(server.baseUrl, await server.issueKey('negative'));
});
afterAll(() => server.close());

async function send(request: (typeof cases)[number]) {
  const query = new URLSearchParams(request.query).toString();
  const target = `${request.path}${query ? `?${query}` : ''}`;
  const body = request.rawBody ?? (request.body === undefined ? '' : JSON.stringify(request.body));
  const response = await signed(request.method, target, body, request.contentType ? { 'Content-Type': request.contentType } : {});
  const text = await response.text();
  return { response, url: `${server.baseUrl}${target}`, body: text ? JSON.parse(text) : undefined };
}

describe('negative cases generated from the spec', () => {
  it('cover every public operation, many constraints each', () => {
    const operations = new Set(cases.map((entry) => entry.name.split(':')[0]));
    expect(operations.size).toBe(10);
    expect(cases.length).toBeGreaterThan(60);
    const names = cases.map((entry) => entry.name).join('\n');
    for (const expected of [
      'POST /v1/webhooks: body url missing',
      'POST /v1/webhooks: body url not matching the pattern',
      'POST /v1/webhooks: body events an item not allowed',
      'POST /v1/webhooks: body description longer than 200',
      'POST /v1/webhooks: body balance_low_threshold missing while events contains account.balance_low',
      'GET /v1/webhooks: query limit above 100',
      'GET /v1/webhooks: query status not in the enum',
      'GET /v1/webhooks/{webhook_id}: path webhook_id not matching the pattern',
      'POST /v1/webhooks/{webhook_id}/secret/rotate: body grace_period_seconds above 604800',
    ]) {
      expect(names).toContain(expected);
    }
  });

  it.each(cases.map((entry) => [entry.name, entry] as const))('%s -> 400 naming the parameter', async (_name, request) => {
    const { response, url, body } = await send(request);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(body.code).toBe('INVALID_PARAMETER');
    expect(body.errors).toContainEqual(expect.objectContaining(request.expected));
    expect(check(request.method, url, response.status, response.headers.get('content-type'), body)).toEqual([]);
  });
});
