// Secrets appear in exactly one response (create), never in the database in clear text, and never
// in the logs; on both stores.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type HttpsEndpoint, startHttpsEndpoint } from '@pipai/testkit/pki';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Credentials, startTestApi, type TestApi } from './support/api.ts';
import { STORE_KINDS } from './support/stores.ts';

describe.each(STORE_KINDS)('secrets on %s', (kind) => {
  let api: TestApi;
  let endpoint: HttpsEndpoint;
  let key: Credentials;
  let webhookSecret: string;
  const responses: string[] = [];

  beforeAll(async () => {
    api = await startTestApi(kind);
    endpoint = await startHttpsEndpoint('valid', 'hooks.test');
    key = await api.issueKey('secretive');
    const created = await api.request(key, 'POST', '/v1/webhooks', {
      url: `https://hooks.test:${endpoint.port}/secret`,
      events: ['*'],
    });
    expect(created.status).toBe(201);
    webhookSecret = created.body.secret;
    const id = created.body.id;
    for (const [method, target, body] of [
      ['GET', '/v1/webhooks'],
      ['GET', `/v1/webhooks/${id}`],
      ['PATCH', `/v1/webhooks/${id}`, { description: 'changed' }],
      ['GET', `/v1/webhooks?event=*&status=active`],
      ['GET', '/v1/webhook-event-types'],
    ] as const) {
      const response = await api.request(key, method, target, body);
      expect(response.status).toBe(200);
      responses.push(JSON.stringify(response.body));
    }
  });
  afterAll(async () => {
    await api.close();
    await endpoint.close();
  });

  it('only the create response carries the webhook secret', () => {
    expect(webhookSecret).toMatch(/^[A-Za-z0-9_-]{40}$/);
    for (const body of responses) {
      expect(body).not.toContain(webhookSecret);
      expect(body).not.toMatch(/"_?secret(_warning)?":/);
    }
  });

  it('the database holds neither the webhook secret nor the API secret in clear text', async () => {
    let contents: string;
    if (kind === 'sqlite') {
      const dir = dirname(api.opened.location);
      // The main file and the write-ahead log, byte for byte.
      contents = readdirSync(dir)
        .map((file) => readFileSync(join(dir, file)).toString('latin1'))
        .join('\n');
    } else {
      const client = new pg.Client({ connectionString: api.opened.location });
      await client.connect();
      const tables = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      const dumps = await Promise.all(tables.rows.map((row) => client.query(`SELECT * FROM ${row.tablename}`)));
      await client.end();
      contents = JSON.stringify(dumps.map((dump) => dump.rows));
    }
    expect(contents).toContain(key.api_key); // the key id is not a secret: proves we read the right data
    expect(contents).not.toContain(webhookSecret);
    expect(contents).not.toContain(key.api_secret);
    expect(contents).not.toContain(key.api_secret.slice(3)); // not even without its prefix
  });

  it('the logs hold neither secrets nor signatures', () => {
    const logs = api.logs.join('\n');
    expect(api.logs.some((line) => line.includes('"path":"/v1/webhooks"'))).toBe(true);
    expect(logs).not.toContain(webhookSecret);
    expect(logs).not.toContain(key.api_secret);
    expect(logs).not.toMatch(/[0-9a-f]{64}/);
  });
});
