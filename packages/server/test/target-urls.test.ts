// The URL rules with real TLS on loopback and a test CA: what create accepts and refuses, and why.

import { type CertificateKind, type HttpsEndpoint, startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../src/domain/errors.ts';
import { parseTargetUrl, TargetRejectedError } from '../src/domain/target-url.ts';
import { classifyAddress } from '../src/net/address-policy.ts';
import { createTargetVerifier } from '../src/net/target-verifier.ts';
import { type Credentials, startTestApi, type TestApi, testLookup } from './support/api.ts';

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
  const verifier = createTargetVerifier({
    lookup: testLookup,
    allowLoopback: true,
    extraCa: [testCaPem],
    timeoutMs: 3_000,
  });
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
    ['https://private.example/', /Private-Use, RFC 1918/],
    ['https://metadata.example/', /cloud metadata/],
    ['https://mixed.example/', /non-public \(Private-Use, RFC 1918\) address, 192\.168\.1\.10/],
    ['https://nowhere.example/', /does not resolve/],
    ['https://10.0.0.1/', /Private-Use/],
    ['https://[::1]/', /\(loopback\)/],
    ['https://[::ffff:127.0.0.1]/', /Loopback, RFC 1122, embedded in IPv4-mapped/],
    ['https://[0:0:0:0:0:ffff:7f00:1]/', /Loopback, RFC 1122, embedded in IPv4-mapped/],
    ['https://[::ffff:a9fe:a9fe]/', /cloud metadata, embedded in IPv4-mapped/],
    ['https://[::127.0.0.1]/', /Loopback, RFC 1122, embedded in IPv4-compatible/],
    ['https://[::ffff:0:127.0.0.1]/', /Loopback, RFC 1122, embedded in IPv4-translated/],
    ['https://[::ffff:0:8.8.8.8]/', /IPv4-translated, RFC 2765/],
    ['https://[fd00:ec2::254]/', /cloud metadata/],
    ['https://[fe80::1]/', /Link-Local Unicast/],
    ['https://[64:ff9b::a00:1]/', /Private-Use, RFC 1918, embedded in NAT64/],
    ['https://[64:ff9b::7f00:1]/', /Loopback, RFC 1122, embedded in NAT64/],
    ['https://[64:ff9b:1:7f00:0:100::]/', /Loopback, RFC 1122, embedded in local-use NAT64/],
    ['https://[64:ff9b:1::a00:1]/', /IPv4-IPv6 Translat\. \(local-use NAT64\), RFC 8215/],
    ['https://[2002:7f00:1::]/', /Loopback, RFC 1122, embedded in 6to4/],
    ['https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', /Loopback, RFC 1122, embedded in Teredo client/],
    ['https://[3fff::1]/', /Documentation, RFC 9637/],
    ['https://[5f00::1]/', /Segment Routing \(SRv6\) SIDs, RFC 9602/],
    ['https://0x7f000001/', /\(loopback\)/],
    ['https://0x7f.0.0.1/', /\(loopback\)/],
    ['https://2130706433/', /\(loopback\)/],
    ['https://0177.0.0.1/', /\(loopback\)/],
    ['https://127.000.000.001/', /\(loopback\)/],
    ['https://127.1/', /\(loopback\)/],
    ['https://127.0.0.1./', /\(loopback\)/],
    ['https://%31%32%37.0.0.1/', /\(loopback\)/],
    ['https://100.64.0.1/', /Shared Address Space, RFC 6598/],
    ['https://192.0.0.170/', /NAT64\/DNS64 Discovery/],
    ['https://224.0.0.1/', /Multicast/],
    ['https://0.0.0.0/', /This host on this network/],
    ['https://0/', /This host on this network/],
  ])('refuses %s before connecting', async (raw, expected) => {
    const production = createTargetVerifier({ lookup: testLookup });
    expect(await reason(production.verify(new URL(raw)))).toMatch(expected);
  });

  it('classifies public addresses as public', () => {
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '1.1.1.1',
      '2606:2800:220:1:248:1893:25c8:1946',
      '2606:4700::1111',
      '2001:4860:4860::8888',
      '::ffff:8.8.8.8',
    ]) {
      expect(classifyAddress(address), address).toBe('public');
    }
  });
});

describe('URL text rules', () => {
  const refusal = (raw: string) => {
    try {
      parseTargetUrl(raw);
      return 'accepted';
    } catch (error) {
      return error instanceof ApiError ? error.errors : error;
    }
  };

  it.each([
    'https://user:pw@example.com/hook',
    'https://user@example.com/hook',
    'https://:pw@example.com/',
    'https://@example.com/hook',
    'https://:@example.com/hook',
    'https://us%40er:p%3Aw@example.com/hook',
    'HTTPS:\\\\user:pw@example.com/hook',
    'https:user:pw@example.com/hook',
  ])('refuses a user name or password in %s', (raw) => {
    expect(refusal(raw)).toEqual([
      { parameter: 'url', in: 'body', message: 'must not contain a user name or password' },
    ]);
  });

  it('allows "@" after the host, in the path, query and fragment', () => {
    expect(parseTargetUrl('https://example.com/@team/hook?to=a@b#c@d').normalized).toBe(
      'https://example.com/@team/hook?to=a@b',
    );
  });

  it('refuses an IPv6 zone id: not a valid URL', () => {
    expect(refusal('https://[fe80::1%25eth0]/')).toEqual([
      { parameter: 'url', in: 'body', message: 'is not a valid URL' },
    ]);
  });

  // The same webhook: these normalize alike, so the second is a duplicate of the first.
  it.each([
    ['https://Example.COM/hook', 'https://example.com/hook'],
    ['HTTPS://example.com/hook', 'https://example.com/hook'],
    ['https://example.com:443/hook', 'https://example.com/hook'],
    ['https://example.com:0443/hook', 'https://example.com/hook'],
    ['https://example.com/hook#part', 'https://example.com/hook'],
    ['https://example.com/hook?b=1&a=2#part', 'https://example.com/hook?b=1&a=2'],
    ['https://example.com', 'https://example.com/'],
    ['https://example.com./hook', 'https://example.com/hook'],
    ['https://EXAMPLE.com.:443/hook', 'https://example.com/hook'],
    ['https://bücher.example/hook', 'https://xn--bcher-kva.example/hook'],
    ['https://BÜCHER.example/hook', 'https://xn--bcher-kva.example/hook'],
    ['https://ex%41mple.com/hook', 'https://example.com/hook'],
    ['https://example.com/%7euser', 'https://example.com/~user'],
    ['https://example.com/%7Euser', 'https://example.com/~user'],
    ['https://example.com/%41%62c%2D%2e%5f', 'https://example.com/Abc-._'],
    ['https://example.com/a%2fb', 'https://example.com/a%2Fb'],
    ['https://example.com/caf%c3%a9', 'https://example.com/café'],
    ['https://example.com/a b', 'https://example.com/a%20b'],
    ['https://example.com/a/./b/../c', 'https://example.com/a/c'],
    ['https://example.com/a/%2e%2E/c', 'https://example.com/c'],
    ['https://example.com\\hook', 'https://example.com/hook'],
    ['https://[2001:DB8:0::0:1]/hook', 'https://[2001:db8::1]/hook'],
    ['https://2130706433/hook', 'https://127.0.0.1/hook'],
  ])('%s is the same webhook as %s', (a, b) => {
    expect(parseTargetUrl(a).normalized).toBe(parseTargetUrl(b).normalized);
  });

  // Different webhooks: receivers may tell these apart.
  it.each([
    ['https://example.com/hook', 'https://example.com/Hook'],
    ['https://example.com/hook', 'https://example.com/hook/'],
    ['https://example.com/a%2Fb', 'https://example.com/a/b'],
    ['https://example.com/hook%3Fx', 'https://example.com/hook?x'],
    ['https://example.com/%21', 'https://example.com/!'],
    ['https://example.com/hook?a=1&b=2', 'https://example.com/hook?b=2&a=1'],
    ['https://example.com/hook?A=1', 'https://example.com/hook?a=1'],
    ['https://example.com/hook?a=%7e', 'https://example.com/hook?a=~'],
    ['https://example.com/hook', 'https://example.com/hook?'],
    ['https://example.com/hook', 'https://example.com:8443/hook'],
    ['https://example.com/hook', 'https://www.example.com/hook'],
    ['https://example.com/hook', 'https://example.co/hook'],
  ])('%s is not the same webhook as %s', (a, b) => {
    expect(parseTargetUrl(a).normalized).not.toBe(parseTargetUrl(b).normalized);
  });

  // The text as supplied is what is stored: see "stores and returns the URL as supplied" below.
  it('checks the host without the trailing dot, and the URL without its fragment', () => {
    const target = parseTargetUrl('https://Example.COM.:443/a/%7e/../hook#x');
    expect(target.url.hostname).toBe('example.com');
    expect(target.normalized).toBe('https://example.com/a/hook');
    expect(target.url.href).toBe('https://example.com/a/hook');
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
    const response = await api.request(key, 'POST', '/v1/webhooks', {
      url: 'https://private.example/hook',
      events: ['*'],
    });
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({
      parameter: 'url',
      message: expect.stringMatching(/Private-Use, RFC 1918/),
    });
    expect((await api.request(key, 'GET', '/v1/webhooks')).body.data).toEqual([]);
  });

  it('201 for a valid certificate', async () => {
    expect((await api.request(key, 'POST', '/v1/webhooks', { url: urlOf('valid').href, events: ['*'] })).status).toBe(
      201,
    );
  });
});

describe('create and update refuse credentials in the URL and compare URLs normalized', () => {
  let api: TestApi;
  let key: Credentials;
  beforeAll(async () => {
    api = await startTestApi('sqlite');
    key = await api.issueKey('url-text');
  });
  afterAll(() => api.close());

  const at = (text: string) => text.replace('PORT', String(endpoints.get('valid')!.port));
  const create = (url: string) => api.request(key, 'POST', '/v1/webhooks', { url: at(url), events: ['*'] });
  const noCredentials = [{ parameter: 'url', in: 'body', message: 'must not contain a user name or password' }];

  it.each([
    'https://user:pw@hooks.test:PORT/secret',
    'https://user@hooks.test:PORT/secret',
    'https://:pw@hooks.test:PORT/',
    'https://@hooks.test:PORT/secret',
  ])('400 INVALID_PARAMETER naming url for %s; nothing stored, the password shown nowhere', async (url) => {
    const response = await create(url);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'INVALID_PARAMETER', errors: noCredentials });
    expect(JSON.stringify(response.body)).not.toContain('pw');
    expect((await api.request(key, 'GET', '/v1/webhooks?limit=100')).body.data).toEqual([]);
  });

  it('400 when an update puts credentials in the URL, and the URL stays as it was', async () => {
    const created = await create('https://hooks.test:PORT/update-me');
    expect(created.status).toBe(201);
    const response = await api.request(key, 'PATCH', `/v1/webhooks/${created.body.id}`, {
      url: at('https://user:pw@hooks.test:PORT/update-me'),
    });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual(noCredentials);
    expect((await api.request(key, 'GET', `/v1/webhooks/${created.body.id}`)).body.url).toBe(
      at('https://hooks.test:PORT/update-me'),
    );
  });

  it('409 DUPLICATE_URL for URLs that normalize alike; credentials no longer get around it', async () => {
    expect((await create('https://hooks.test:PORT/dup/~me')).status).toBe(201);
    for (const same of [
      'https://HOOKS.TEST.:PORT/dup/%7Eme#frag',
      'https://hooks.test:PORT/dup/%7eme',
      'https://hooks.test:PORT/x/../dup/~me',
    ]) {
      const response = await create(same);
      expect(response.status, same).toBe(409);
      expect(response.body.code, same).toBe('DUPLICATE_URL');
    }
    expect((await create('https://user:pw@hooks.test:PORT/dup/~me')).status).toBe(400);
    for (const different of [
      'https://hooks.test:PORT/DUP/~me',
      'https://hooks.test:PORT/dup/~me/',
      'https://hooks.test:PORT/dup/~me?v=1',
    ]) {
      expect((await create(different)).status, different).toBe(201);
    }
  });

  it('stores and returns the URL as supplied, not its normalized form', async () => {
    const supplied = at('https://HOOKS.test.:PORT/a/./b/%7e/hook#frag');
    const created = await api.request(key, 'POST', '/v1/webhooks', { url: supplied, events: ['*'] });
    expect(created.status).toBe(201);
    expect(created.body.url).toBe(supplied);
    expect((await api.request(key, 'GET', `/v1/webhooks/${created.body.id}`)).body.url).toBe(supplied);
    const listed = (await api.request(key, 'GET', '/v1/webhooks?limit=100')).body.data as { url: string }[];
    expect(listed.map(({ url }) => url)).toContain(supplied);
  });
});
