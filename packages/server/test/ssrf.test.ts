// SSRF at send time: webhooks whose targets are (or have become) non-public never receive a byte.
// They are put in the store directly, as webhooks registered while their name still resolved to a
// public address would be; then an event is published and delivered.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Credentials, startTestApi, type TestApi } from './support/api.ts';
import { webhookRecord } from './support/records.ts';

let api: TestApi;
let key: Credentials;
let listener: Server;
let port: number;
const connections: Socket[] = [];

// DNS as an attacker would arrange it.
const hostileDns: Record<string, { address: string; family: number }[]> = {
  'localhost.example': [{ address: '127.0.0.1', family: 4 }],
  'rebind.example': [{ address: '127.0.0.1', family: 4 }], // public when registered, loopback now
  'private.example': [{ address: '10.1.2.3', family: 4 }],
  'metadata.example': [{ address: '169.254.169.254', family: 4 }],
  'mixed.example': [
    { address: '93.184.216.34', family: 4 },
    { address: '127.0.0.1', family: 4 },
  ],
  'ula.example': [{ address: 'fd00::1', family: 6 }],
  'mapped.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
  'translated.example': [{ address: '::ffff:0:7f00:1', family: 6 }],
  'nat64.example': [{ address: '64:ff9b:1:7f00:0:100::', family: 6 }],
  'teredo.example': [{ address: '2001:0:4136:e378:8000:63bf:80ff:fffe', family: 6 }],
};

const targets = () => [
  `https://127.0.0.1:${port}/`,
  `https://localhost.example:${port}/`,
  `https://[::1]:${port}/`,
  `https://[::ffff:127.0.0.1]:${port}/`,
  `https://0x7f000001:${port}/`,
  `https://2130706433:${port}/`,
  `https://0177.0.0.1:${port}/`,
  `https://127.1:${port}/`,
  `https://0.0.0.0:${port}/`,
  `https://[64:ff9b::7f00:1]:${port}/`,
  `https://10.0.0.1:${port}/`,
  `https://172.16.0.1:${port}/`,
  `https://192.168.1.1:${port}/`,
  'https://169.254.169.254/latest/meta-data/',
  'https://[::ffff:a9fe:a9fe]/',
  'https://[fd00:ec2::254]/',
  'https://100.64.0.1/',
  'https://[fd00::1]/',
  'https://[fe80::1]/',
  'https://224.0.0.1/',
  `https://rebind.example:${port}/`,
  'https://private.example/',
  'https://metadata.example/',
  `https://mixed.example:${port}/`,
  'https://ula.example/',
  `https://mapped.example:${port}/`,
  // IPv6 forms that carry an IPv4 address
  `https://[::ffff:0:127.0.0.1]:${port}/`,
  `https://[::127.0.0.1]:${port}/`,
  `https://[64:ff9b:1:7f00:0:100::]:${port}/`,
  `https://[2002:7f00:1::]:${port}/`,
  `https://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${port}/`,
  `https://translated.example:${port}/`,
  `https://nat64.example:${port}/`,
  `https://teredo.example:${port}/`,
];

beforeAll(async () => {
  listener = createServer((socket) => {
    connections.push(socket);
    socket.destroy();
  });
  // Dual-stack: the loopback forms of both families reach it.
  await new Promise<void>((resolve) => listener.listen({ port: 0, host: '::', ipv6Only: false }, resolve));
  port = (listener.address() as { port: number }).port;
  api = await startTestApi('sqlite', {
    allowLoopback: false,
    lookup: async (hostname) => {
      const answer = hostileDns[hostname];
      if (!answer) throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
      return answer;
    },
  });
  key = await api.issueKey('ssrf');
});
afterAll(async () => {
  await api.close();
  listener.close();
});

describe('hostile delivery targets', () => {
  it('every one of them is refused before a byte is sent', async () => {
    const accountId = (await api.opened.store.accounts.findKey(key.api_key))!.accountId;
    const list = targets();
    expect(list.length).toBeGreaterThanOrEqual(20);
    // The per-account cap is 25: use two accounts.
    const other = await api.issueKey('ssrf-2');
    const otherId = (await api.opened.store.accounts.findKey(other.api_key))!.accountId;
    for (const [index, url] of list.entries()) {
      const outcome = await api.opened.store.webhooks.insert(
        webhookRecord(index < 20 ? accountId : otherId, {
          url,
          normalizedUrl: url,
          events: ['*'],
          sealedSecret: api.services.secrets.seal('a'.repeat(40)),
        }),
        25,
      );
      expect(outcome, url).toBe('created');
    }
    for (const account of [key, other]) {
      const published = await api.publish({
        account: account.account,
        type: 'account.api_key_rotated',
        data: { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' },
      });
      expect(published.status).toBe(202);
    }
    expect(await api.services.worker.runDue()).toBe(list.length);

    expect(connections).toHaveLength(0);
    const classes = new Map<string, string>();
    for (const account of [key, other]) {
      for (const webhook of (await api.request(account, 'GET', '/v1/webhooks?limit=100')).body.data) {
        const [attempt] = (await api.request(account, 'GET', `/v1/webhooks/${webhook.id}/deliveries`)).body.data;
        classes.set(webhook.url, `${attempt.error_class}: ${attempt.error}`);
        expect(attempt, webhook.url).toMatchObject({
          status: 'failed',
          response_status: null,
          error_class: 'blocked_address',
        });
      }
    }
    expect(classes.size).toBe(list.length);
    expect(classes.get(`https://rebind.example:${port}/`)).toMatch(/loopback/);
    expect(classes.get('https://169.254.169.254/latest/meta-data/')).toMatch(/cloud metadata/);
    expect(classes.get(`https://[::ffff:0:127.0.0.1]:${port}/`)).toMatch(
      /Loopback, RFC 1122, embedded in IPv4-translated/,
    );
    expect(classes.get(`https://nat64.example:${port}/`)).toMatch(/Loopback, RFC 1122, embedded in local-use NAT64/);
    expect(classes.get(`https://teredo.example:${port}/`)).toMatch(/Loopback, RFC 1122, embedded in Teredo client/);
  });
});
