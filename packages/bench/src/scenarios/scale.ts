// `pnpm bench scale`: one PostgreSQL, API processes and worker processes sharing it. Events go in
// through the API processes while list traffic hits them; every delivery is counted at the receivers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCaPem } from '@pipai/testkit/pki';
import { createDatabase, startPostgres } from '@pipai/testkit/postgres';
import { signature as sign, timestamps } from '@pipai/testkit/signing';
import { AccountService } from '../../../server/src/domain/accounts.ts';
import { systemClock } from '../../../server/src/domain/clock.ts';
import { openPostgresStore } from '../../../server/src/store/store.ts';
import { type ApiProcess, startApi } from '../lib/api-server.ts';
import { load } from '../lib/load.ts';
import { type Child, MASTER_KEY, REPO, startCpuHog, startNode, WORKER_NODE_FLAGS, waitFor } from '../lib/processes.ts';
import { startReceivers } from '../lib/receivers.ts';
import { secrets, seedAccount } from '../lib/seed.ts';
import type { Options, ScenarioResult } from '../run.ts';

const EVENT = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };
/** The longest a round waits for its deliveries. */
const ROUND_LIMIT_MS = 300_000;

async function round(
  serverUrl: string,
  caFile: string,
  apiCount: number,
  workerCount: number,
  events: number,
  options: Options,
  hog = false,
) {
  const databaseUrl = await createDatabase(serverUrl);
  const seen = new Map<string, number>();
  let received = 0;
  let firstAt = 0;
  let lastAt = 0;
  const receivers = await startReceivers(10, (headers) => {
    const now = performance.now();
    firstAt ||= now;
    lastAt = now;
    received += 1;
    const pair = `${String(headers.host)}|${String(headers['webhook-id'])}`;
    seen.set(pair, (seen.get(pair) ?? 0) + 1);
  });
  const store = openPostgresStore(databaseUrl);
  await store.migrate();
  await seedAccount(store, 'bench', 10, (index) => receivers[index]!.url);
  // One key per load generator: two generators signing the same request in the same millisecond
  // would produce the same signature, which the server rightly refuses as a replay.
  const accounts = new AccountService({ accounts: store.accounts, secrets, clock: systemClock });
  const keys = await Promise.all(
    Array.from({ length: apiCount }, () => accounts.createKey('bench', ['webhooks:read'])),
  );
  await store.close();
  const apis: ApiProcess[] = [];
  const workers: Child[] = [];
  // Bounded by itself too: never past the longest this round may take.
  const cpuHog = hog ? startCpuHog(ROUND_LIMIT_MS + 60_000) : undefined;
  try {
    for (let index = 0; index < apiCount; index += 1)
      apis.push(await startApi({ databaseUrl, extra: { PIPAI_INTERNAL_TOKEN: 'bench' } }));
    for (let index = 0; index < workerCount; index += 1) {
      workers.push(
        startNode(
          join(REPO, 'packages/server/src/worker.ts'),
          [],
          {
            DATABASE_URL: databaseUrl,
            PIPAI_MASTER_KEY: MASTER_KEY,
            PIPAI_DEV_ALLOW_LOOPBACK: '1',
            NODE_EXTRA_CA_CERTS: caFile,
            LOG_LEVEL: 'warn',
          },
          WORKER_NODE_FLAGS,
        ),
      );
    }
    const listTraffic = Promise.all(
      apis.map((api, index) =>
        load({
          url: api.baseUrl,
          path: '/v1/webhooks?limit=25',
          connections: 8,
          durationS: options.quick ? 2 : 5,
          credentials: [keys[index]!],
        }),
      ),
    );
    let next = 0;
    let publishErrors = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let index = next++; index < events; index = next++) {
          const api = apis[index % apis.length]!;
          const response = await fetch(`${api.baseUrl}/internal/v1/events`, {
            method: 'POST',
            headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
            body: JSON.stringify({ account: 'bench', type: 'account.api_key_rotated', data: EVENT }),
          });
          if (response.status !== 202) publishErrors += 1;
          await response.arrayBuffer();
        }
      }),
    );
    const list = await listTraffic;
    const expected = events * 10;
    await waitFor(() => seen.size >= expected, ROUND_LIMIT_MS, `${expected} deliveries`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // late duplicates, if any
    return {
      expected,
      unique: seen.size,
      duplicates: received - seen.size,
      publishErrors,
      perSecond: seen.size / ((lastAt - firstAt) / 1000),
      listPerSecond: list.reduce((sum, result) => sum + result.requestsPerSec, 0),
      listErrors: list.reduce((sum, result) => sum + result.errors + result.non2xx, 0),
    };
  } finally {
    await cpuHog?.stop();
    for (const child of [...workers, ...apis]) await child.stop();
    for (const receiver of receivers) await receiver.close();
  }
}

/** Two API processes, one key, a budget of 100 weight: list (weight 2) alternating between them. */
async function sharedBudget(serverUrl: string): Promise<{ admitted: number; limited: number }> {
  const databaseUrl = await createDatabase(serverUrl);
  const store = openPostgresStore(databaseUrl);
  await store.migrate();
  const { key } = await seedAccount(store, 'budget', 0, () => '');
  await store.close();
  const apis = [
    await startApi({ databaseUrl, extra: { PIPAI_WEIGHT_PER_MINUTE: '100' } }),
    await startApi({ databaseUrl, extra: { PIPAI_WEIGHT_PER_MINUTE: '100' } }),
  ];
  try {
    // One key, two servers, one timestamp sequence: two signers counting apart would sign identical
    // requests alike, which the shared replay record refuses (and then throttles as failures).
    const nextTimestamp = timestamps();
    const statuses = await Promise.all(
      Array.from({ length: 80 }, async (_, index) => {
        const timestamp = nextTimestamp();
        const response = await fetch(`${apis[index % 2]!.baseUrl}/v1/webhooks`, {
          headers: {
            'X-PipAI-API-Key': key.api_key,
            'X-PipAI-Timestamp': timestamp,
            'X-PipAI-Signature': sign(key.api_secret, timestamp, 'GET', '/v1/webhooks', ''),
          },
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    return {
      admitted: statuses.filter((status) => status === 200).length,
      limited: statuses.filter((status) => status === 429).length,
    };
  } finally {
    for (const api of apis) await api.stop();
  }
}

export async function scaleOut(options: Options): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-bench-scaleout-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, testCaPem);
  const postgres = await startPostgres();
  try {
    const events = options.quick ? 200 : 2_000;
    const single = await round(postgres.url, caFile, 1, 1, events, options);
    const scaled = await round(postgres.url, caFile, 2, 2, events, options);
    // The same 2 + 2 while another process keeps one of the two cores busy throughout.
    const hogged = await round(postgres.url, caFile, 2, 2, events, options, true);
    const budget = await sharedBudget(postgres.url);
    const rounds = [single, scaled, hogged];
    const lost = rounds.map((r) => r.expected - r.unique);
    const twice = rounds.map((r) => r.duplicates);
    const errors = rounds.map((r) => r.publishErrors + r.listErrors);
    const each = (values: number[]) => `${values.reduce((a, b) => a + b, 0)} (${values.join(' / ')})`;
    return {
      scenario: 'scale',
      measurements: {
        '1 API + 1 worker': { perSecond: single.perSecond, count: single.unique, listPerSecond: single.listPerSecond },
        '2 API + 2 workers': { perSecond: scaled.perSecond, count: scaled.unique, listPerSecond: scaled.listPerSecond },
        '2 API + 2 workers, one core hogged by a spin loop': {
          perSecond: hogged.perSecond,
          count: hogged.unique,
          listPerSecond: hogged.listPerSecond,
        },
      },
      checks: [
        { name: 'events lost: 0 (1+1 / 2+2 / 2+2 hogged)', value: each(lost), pass: lost.every((n) => n === 0) },
        {
          name: 'deliveries sent twice (only retries may; receivers always answer 204) (1+1 / 2+2 / 2+2 hogged)',
          value: each(twice),
          pass: twice.every((n) => n === 0),
        },
        {
          name: 'publish and list errors: 0 (1+1 / 2+2 / 2+2 hogged)',
          value: each(errors),
          pass: errors.every((n) => n === 0),
        },
        {
          name: 'budget 100 honoured across 2 API processes (50 lists of weight 2)',
          value: `${budget.admitted} admitted, ${budget.limited} limited`,
          pass: budget.admitted === 50,
        },
        {
          name: '2+2 throughput vs 1+1 (reported)',
          value: `${((scaled.perSecond / single.perSecond) * 100).toFixed(0)} %`,
          pass: true,
        },
        {
          name: '2+2 hogged throughput vs 2+2 (reported)',
          value: `${((hogged.perSecond / scaled.perSecond) * 100).toFixed(0)} %`,
          pass: true,
        },
      ],
      notes: `${events} events × 10 webhooks per round, published through the API processes' internal endpoint while 8 connections per API process list webhooks; one PostgreSQL for all. All on one 2-core machine, so more processes share the same cores. The hogged round runs a spin-loop process for its whole length (killed at its end; bounded by itself too), leaving the eight processes about one core.`,
    };
  } finally {
    await postgres.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
