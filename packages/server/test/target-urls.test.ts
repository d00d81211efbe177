// The URL rules with real TLS on loopback and a test CA: what create accepts and refuses, and why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetRejectedError } from '../src/domain/target-url.ts';
import { classifyAddress } from '../src/net/address-policy.ts';
import { createTargetVerifier } from '../src/net/target-verifier.ts';
import { startTestApi, testLookup, type Credentials, type TestApi } from './support/api.ts';
import { startHttpsEndpoint, testCaPem, type CertificateKind, type HttpsEndpoint } from '@pipai/testkit/pki';

const kinds: CertificateKind[] = ['valid', 'self-signed', 'expired', 'wrong-host'];
const endpoints = new Map<CertificateKind, HttpsEndpoint>();

beforeAll(async () => {
  for (const kind of kinds) endpoints.set(kind, await startHttpsEndpoint(kind, 'hooks.test'));
});
afterAll(async () => {
  for (const endpoint of endpoints.values()) await endpoint.close();
});

const urlOf = (kind: CertificateKind) => new URL(`https://hooks.test:${endpoints.get(kind)!.port}/hook`);

describe('the target verifier', () => {
  const verifier = createTargetVerifier({ lookup: testLookup, allowLoopback: true, extraCa: [testCaPem], timeoutMs: 3_000 });
  const reason = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: Error) => (error instanceof TargetRejectedError ? error.message : `unexpected ${error.message}`),
    );

  it('accepts a certificate that validates for the host, and says which address it checked', async () => {
    expect(await verifier.verify(urlOf('valid'))).toEqual({ address: '127.0.0.1', family: 4 });
  });

  it.each([
    ['self-signed', /self-signed/],
    ['expired', /expired/],
    ['wrong-host', /not valid for this host/],
  ] as const)('refuses a %s certificate', async (kind, expected) => {
    expect(await reason(verifier.verify(urlOf(kind)))).toMatch(expected);
  });

  it('refuses a valid certificate the verifier does not trust (no test CA)', async () => {
    const strict = createTargetVerifier({ lookup: testLookup, allowLoopback: true });
    expect(await reason(strict.verify(urlOf('valid')))).toMatch(/unknown authority|cannot be verified/);
  });

  it('refuses loopback unless the dev setting allows it', async () => {
    const production = createTargetVerifier({ lookup: testLookup, extraCa: [testCaPem] });
    expect(await reason(production.verify(urlOf('valid')))).toMatch(/non-public \(loopback\) address, 127\.0\.0\.1/);
  });

  it.each([
    ['https://private.example/', /private/],
    ['https://metadata.example/', /cloud metadata/],
    ['https://mixed.example/', /private\) address, 192\.168\.1\.10/],
    ['https://nowhere.example/', /does not resolve/],
    ['https://10.0.0.1/', /private/],
    ['https://[::1]/', /loopback/],
    ['https://[::ffff:127.0.0.1]/', /loopback/],
    ['https://[::ffff:a9fe:a9fe]/', /cloud metadata/],
    ['https://[fd00:ec2::254]/', /cloud metadata/],
    ['https://[fe80::1]/', /link-local/],
    ['https://[64:ff9b::a00:1]/', /private/],
    ['https://0x7f000001/', /loopback/],
    ['https://2130706433/', /loopback/],
    ['https://0177.0.0.1/', /loopback/],
    ['https://127.1/', /loopback/],
    ['https://100.64.0.1/', /carrier-grade NAT/],
    ['https://224.0.0.1/', /multicast/],
    ['https://0.0.0.0/', /unspecified/],
  ])('refuses %s before connecting', async (raw, expected) => {
    const production = createTargetVerifier({ lookup: testLookup });
    expect(await reason(production.verify(new URL(raw)))).toMatch(expected);
  });

  it('classifies public addresses as public', () => {
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:2800:220:1:248:1893:25c8:1946', '::ffff:8.8.8.8']) {
      expect(classifyAddress(address), address).toBe('public');
    }
  });
});

describe('create applies the rules', () => {
  let api: TestApi;
  let key: Credentials;
  beforeAll(async () => {
    api = await startTestApi('sqlite');
    key = await api.issueKey('targets');
  });
  afterAll(() => api.close());

  it.each([
    ['self-signed', /self-signed/],
    ['expired', /expired/],
    ['wrong-host', /not valid for this host/],
  ] as const)('400 INVALID_PARAMETER naming url for a %s certificate', async (kind, expected) => {
    const response = await api.request(key, 'POST', '/v1/webhooks', { url: urlOf(kind).href, events: ['*'] });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ parameter: 'url', in: 'body', message: expect.stringMatching(expected) }]);
  });

  it('400 for a private-address host, and nothing is stored', async () => {
    const response = await api.request(key, 'POST', '/v1/webhooks', { url: 'https://private.example/hook', events: ['*'] });
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({ parameter: 'url', message: expect.stringMatching(/private/) });
    expect((await api.request(key, 'GET', '/v1/webhooks')).body.data).toEqual([]);
  });

  it('201 for a valid certificate', async () => {
    expect((await api.request(key, 'POST', '/v1/webhooks', { url: urlOf('valid').href, events: ['*'] })).status).toBe(201);
  });
});
