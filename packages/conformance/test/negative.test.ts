// Spec-driven negative tests on the real server, on SQLite and on PostgreSQL: every generated request
// that breaks one documented constraint gets 400 problem+json naming exactly that parameter (415 for
// a body's media type), the same on both stores, and nothing ever gets a 5xx.
import { type EmbeddedServer, startEmbeddedServer } from '@pipai/server';
import { testCaPem } from '@pipai/testkit/pki';
import { createDatabase } from '@pipai/testkit/postgres';
import { signedFetcher } from '@pipai/testkit/signing';
import '@pipai/testkit/vitest-context';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type NegativeCase, negativeCases } from '../src/negative-cases.ts';
import { createResponseChecker, loadPublicSpec } from '../src/responses.ts';

const spec = loadPublicSpec();
const cases = negativeCases(spec);
const check = createResponseChecker(spec);

describe.each(['sqlite', 'postgres'] as const)('negative cases generated from the spec, on %s', (store) => {
  let server: EmbeddedServer;
  let signed: ReturnType<typeof signedFetcher>;
  const statuses: number[] = [];

  beforeAll(async () => {
    server = await startEmbeddedServer({
      network: { lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowLoopback: true, extraCa: [testCaPem] },
      weightBudgetPerMinute: 1_000_000,
      ...(store === 'postgres' ? { databaseUrl: await createDatabase(inject('postgresUrl')) } : {}),
    });
    signed = signedFetcher(server.baseUrl, await server.issueKey('negative'));
  });
  afterAll(() => server.close());

  async function send(request: NegativeCase) {
    const query = new URLSearchParams(request.query).toString();
    const target = `${request.path}${query ? `?${query}` : ''}`;
    const body = request.rawBody ?? (request.body === undefined ? '' : JSON.stringify(request.body));
    const contentType =
      request.contentType === undefined ? (body.length ? 'application/json' : undefined) : request.contentType;
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const response = await signed(
      request.method,
      target,
      bytes,
      contentType === null || contentType === undefined ? {} : { 'Content-Type': contentType },
    );
    statuses.push(response.status);
    const text = await response.text();
    return { response, url: `${server.baseUrl}${target}`, body: text ? JSON.parse(text) : undefined };
  }

  it('cover every public operation, many constraints each', () => {
    const operations = new Set(cases.map((entry) => entry.name.split(':')[0]));
    expect(operations.size).toBe(14);
    const names = cases.map((entry) => entry.name).join('\n');
    for (const expected of [
      'POST /v1/webhooks: body url missing',
      'POST /v1/webhooks: body url not matching the pattern',
      'POST /v1/webhooks: body events an item not allowed',
      'POST /v1/webhooks: body description longer than 200',
      'POST /v1/webhooks: body balance_low_threshold missing while events contains account.balance_low',
      'POST /v1/webhooks: body description with a NUL character',
      'POST /v1/webhooks: body events[0] with an unpaired surrogate',
      'POST /v1/webhooks: no content type',
      'POST /v1/webhooks: content type application/json; charset=utf-16',
      'POST /v1/webhooks: a body that is not UTF-8',
      'GET /v1/webhooks: query limit above 100',
      'GET /v1/webhooks: query limit="Infinity"',
      'GET /v1/webhooks: query limit=400 digits',
      'GET /v1/webhooks: query limit="0x10"',
      'GET /v1/webhooks: query status not in the enum',
      'GET /v1/webhooks: query parameter __proto__',
      'GET /v1/webhooks/{webhook_id}: path webhook_id not matching the pattern',
      'GET /v1/webhooks/{webhook_id}: path webhook_id with a NUL character',
      'DELETE /v1/webhooks/{webhook_id}: a body it does not take',
      'POST /v1/webhooks/{webhook_id}/secret/rotate: body grace_period_seconds above 604800',
      'POST /v1/webhooks/{webhook_id}/secret/rotate: body grace_period_seconds 1e400',
      'POST /v1/webhooks/{webhook_id}/secret/rotate: no content type',
    ]) {
      expect(names).toContain(expected);
    }
  });

  it.each(cases.map((entry) => [entry.name, entry] as const))('%s', async (_name, request) => {
    const { response, url, body } = await send(request);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    if (request.expected.code === 'UNSUPPORTED_MEDIA_TYPE') {
      expect(response.status).toBe(415);
      expect(body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    } else {
      expect(response.status).toBe(400);
      expect(body.code).toBe('INVALID_PARAMETER');
      const { code: _code, ...named } = request.expected;
      expect(body.errors).toContainEqual(expect.objectContaining(named));
    }
    expect(check(request.method, url, response.status, response.headers.get('content-type'), body)).toEqual([]);
  });

  it('answered every case, none with a 5xx', () => {
    expect(statuses).toHaveLength(cases.length);
    expect(statuses.filter((status) => status >= 500)).toEqual([]);
  });
});
