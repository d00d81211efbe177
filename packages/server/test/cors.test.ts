// Cross-origin calls from browsers: what an allowed origin may send and read, and that any other
// origin gets no CORS answer at all (its preflight names no operation: 404).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Credentials, startTestApi, type TestApi } from './support/api.ts';

const APP = 'https://app.pipai.example';
let api: TestApi;
let owner: Credentials;

beforeAll(async () => {
  api = await startTestApi('sqlite', { corsOrigins: [APP] });
  owner = await api.issueKey('cors');
});
afterAll(() => api.close());

const preflight = (origin: string, method = 'POST') =>
  fetch(`${api.baseUrl}/v1/webhooks`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'content-type,x-pipai-api-key,x-pipai-timestamp,x-pipai-signature',
    },
  });

describe('CORS', () => {
  it('answers an allowed origin’s preflight for the signing headers and every method of the spec', async () => {
    const response = await preflight(APP, 'PATCH');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-allow-methods')?.split(',').sort()).toEqual([
      'DELETE',
      'GET',
      'PATCH',
      'POST',
    ]);
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'Content-Type,X-PipAI-API-Key,X-PipAI-Timestamp,X-PipAI-Signature',
    );
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });

  it('lets an allowed origin read the headers the spec documents on its responses', async () => {
    const response = await api.request(owner, 'GET', '/v1/webhooks', undefined, { headers: { Origin: APP } });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP);
    expect(response.headers.get('access-control-expose-headers')?.split(',')).toEqual(
      expect.arrayContaining([
        'X-Request-Id',
        'X-PipAI-Weight-Used',
        'X-PipAI-Weight-Limit',
        'Retry-After',
        'Location',
      ]),
    );
  });

  it('gives any other origin, and a caller that is no browser, no CORS headers', async () => {
    const other = await preflight('https://evil.example');
    expect(other.status).toBe(404);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const plain = await api.request(owner, 'GET', '/v1/webhooks');
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });
});
