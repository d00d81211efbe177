// What must hold under concurrency, on both stores: the 25-webhook cap under a 50-way race, and
// keyset pagination while webhooks come and go.

import { type HttpsEndpoint, startHttpsEndpoint } from '@pipai/testkit/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Credentials, startTestApi, type TestApi } from './support/api.ts';
import { webhookRecord } from './support/records.ts';
import { STORE_KINDS } from './support/stores.ts';

describe.each(STORE_KINDS)('concurrency on %s', (kind) => {
  let api: TestApi;
  let endpoint: HttpsEndpoint;
  let url: (path: string) => string;

  beforeAll(async () => {
    api = await startTestApi(kind);
    endpoint = await startHttpsEndpoint('valid', 'hooks.test');
    url = (path) => `https://hooks.test:${endpoint.port}/${path}`;
  });
  afterAll(async () => {
    await api.close();
    await endpoint.close();
  });

  it('50 simultaneous creates on one account yield exactly 25 webhooks and 25 LIMIT_REACHED', async () => {
    const key = await api.issueKey('race');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        api.request(key, 'POST', '/v1/webhooks', { url: url(`race-${index}`), events: ['*'] }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(25);
    expect(
      responses.filter((response) => response.status === 429 && response.body.code === 'LIMIT_REACHED'),
    ).toHaveLength(25);
    expect((await api.request(key, 'GET', '/v1/webhooks?limit=100')).body.data).toHaveLength(25);
  });

  it('paginates over 1,000 webhooks of 40 accounts without duplicates or skips while others are created and deleted', async () => {
    const accounts: Credentials[] = [];
    for (let index = 0; index < 40; index += 1) accounts.push(await api.issueKey(`page-${index}`));
    // Interleave the accounts' inserts so every account's rows are spread over the whole table.
    const accountIds = await Promise.all(
      accounts.map(async (key) => (await api.opened.store.accounts.findKey(key.api_key))!.accountId),
    );
    for (let round = 0; round < 25; round += 1) {
      for (let index = 0; index < accounts.length; index += 1) {
        const id = `wh_${(round * 100 + index).toString(16).padStart(6, '0')}`;
        const target = url(`page-${index}-${round}`);
        await api.opened.store.webhooks.insert(
          webhookRecord(accountIds[index]!, { id, url: target, normalizedUrl: target, events: ['*'] }),
          25,
        );
      }
    }
    const walker = accounts[7]!;
    const initial = (await api.request(walker, 'GET', '/v1/webhooks?limit=100')).body.data.map(
      (webhook: { id: string }) => webhook.id,
    );
    expect(initial).toHaveLength(25);

    // Walk in pages of 3; between pages, delete some rows (of this and other accounts) and create new ones.
    const seen: string[] = [];
    const deleted = new Set<string>();
    const created: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const target: string = `/v1/webhooks?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await api.request(walker, 'GET', target);
      expect(response.status).toBe(200);
      seen.push(...response.body.data.map((webhook: { id: string }) => webhook.id));
      cursor = response.body.next_cursor;
      page += 1;
      const victim = initial[page * 3 + 4];
      await Promise.all([
        victim && !deleted.has(victim)
          ? api.request(walker, 'DELETE', `/v1/webhooks/${victim}`).then(() => deleted.add(victim))
          : undefined,
        api.request(
          accounts[page % 40]!,
          'DELETE',
          `/v1/webhooks/wh_${(page * 100 + (page % 40)).toString(16).padStart(6, '0')}`,
        ),
        page % 2 === 0
          ? api
              .request(walker, 'POST', '/v1/webhooks', { url: url(`late-${page}`), events: ['*'] })
              .then((response) => {
                if (response.status === 201) created.push(response.body.id);
              })
          : undefined,
      ]);
    } while (cursor);

    expect(new Set(seen).size).toBe(seen.length);
    const survivors = initial.filter((id: string) => !deleted.has(id));
    for (const id of survivors) expect(seen, `skipped ${id}`).toContain(id);
    // Newest first, and nothing from another account: only the walker's own rows, old or new.
    const positions = seen.filter((id) => initial.includes(id)).map((id) => initial.indexOf(id));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    for (const id of seen) expect([...initial, ...created], `foreign ${id}`).toContain(id);
    expect(deleted.size).toBeGreaterThan(3);
    expect(created.length).toBeGreaterThan(0);
  });
});

describe('two server processes on one PostgreSQL database', () => {
  let first: TestApi;
  let second: TestApi;
  beforeAll(async () => {
    first = await startTestApi('postgres', { weightBudgetPerMinute: 40 });
    second = await startTestApi('postgres', { weightBudgetPerMinute: 40, postgresUrl: first.opened.location });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('share one weight budget per key', async () => {
    const key = await first.issueKey('shared-budget', ['webhooks:read']);
    // 40 / 2 per list = 20 requests in all, alternating between the servers, concurrently.
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, index) => (index % 2 ? first : second).request(key, 'GET', '/v1/webhooks')),
    );
    expect(responses.filter((response) => response.status === 200)).toHaveLength(20);
    expect(
      responses.filter((response) => response.status === 429 && response.body.code === 'RATE_LIMITED'),
    ).toHaveLength(10);
  });

  it("see each other's webhooks and replays", async () => {
    const key = await second.issueKey('shared-state', ['webhooks:read']);
    const timestamp = String(Date.now());
    expect((await first.request(key, 'GET', '/v1/webhooks', undefined, { timestamp })).status).toBe(200);
    const replay = await second.request(key, 'GET', '/v1/webhooks', undefined, { timestamp });
    expect(replay.body.code).toBe('INVALID_SIGNATURE');
  });
});
