// delivery-throughput and delivery-latency: events through the outbox, the worker and the signed
// sender to loopback HTTPS receivers.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testCaPem } from '@pipai/testkit/pki';
import { createDatabase, startPostgres } from '@pipai/testkit/postgres';
import { signedFetcher } from '@pipai/testkit/signing';
import { verifyWebhook } from '../../../client/src/verify.ts';
import { systemClock } from '../../../server/src/domain/clock.ts';
import { eventServiceOn } from '../../../server/src/services.ts';
import { openPostgresStore, openSqliteStore, type Store } from '../../../server/src/store/store.ts';
import { startApi } from '../lib/api-server.ts';
import {
  type Child,
  MASTER_KEY,
  quantile,
  REPO,
  rssMb,
  startNode,
  WORKER_NODE_FLAGS,
  waitFor,
} from '../lib/processes.ts';
import { type Receiver, startReceivers } from '../lib/receivers.ts';
import { seedAccount } from '../lib/seed.ts';
import type { Options, ScenarioResult } from '../run.ts';

const EVENT = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };
/** Requests in flight in the baselines: what the worker reaches on 10 webhooks (4 each). */
const CONCURRENCY = 40;
const GRAPHILE_VERSION = (
  JSON.parse(readFileSync(join(REPO, 'packages/bench/node_modules/graphile-worker/package.json'), 'utf8')) as {
    version: string;
  }
).version;

const ENVELOPE = JSON.stringify({
  id: 'evt_x',
  type: 'account.api_key_rotated',
  created_at: '2026-11-22T12:00:00Z',
  data: EVENT,
});
const run = promisify(execFile);
const sum = (receivers: Receiver[]) => receivers.reduce((total, receiver) => total + receiver.count, 0);

/** Waits until the receivers have `expected` more deliveries than `before`; first and last receipt times. */
async function receipts(receivers: Receiver[], before: number, expected: number, child: Child) {
  let firstAt = 0;
  await waitFor(
    () => {
      const received = sum(receivers) - before;
      if (received > 0 && !firstAt) firstAt = performance.now();
      return received >= expected;
    },
    120_000,
    `${expected} deliveries`,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${child.output()}`);
  });
  return { firstAt, lastAt: performance.now() };
}

/** graphile-worker doing the same work on the same PostgreSQL server (its own database). */
async function graphilePeer(serverUrl: string, receivers: Receiver[], events: number, caFile: string) {
  const databaseUrl = await createDatabase(serverUrl);
  const before = sum(receivers);
  const peer = startNode(
    join(REPO, 'packages/bench/src/graphile-peer.ts'),
    [
      JSON.stringify({
        databaseUrl,
        urls: receivers.map((receiver) => receiver.url),
        secrets: receivers.map(() => randomBytes(30).toString('base64url')),
        events,
        data: EVENT,
        concurrency: CONCURRENCY,
      }),
    ],
    { NODE_EXTRA_CA_CERTS: caFile },
  );
  try {
    const expected = events * receivers.length;
    const { firstAt, lastAt } = await receipts(receivers, before, expected, peer);
    return { perSecond: expected / ((lastAt - firstAt) / 1000), rssMb: rssMb(peer.process.pid!), count: expected };
  } finally {
    await peer.stop();
  }
}

async function throughputOn(kind: 'sqlite' | 'postgres', options: Options, dir: string, caFile: string) {
  const postgres = kind === 'postgres' ? await startPostgres() : undefined;
  const receivers = await startReceivers(10);
  try {
    const databaseUrl = postgres ? await createDatabase(postgres.url) : undefined;
    const dataDir = join(dir, kind);
    const store: Store = databaseUrl ? openPostgresStore(databaseUrl) : openSqliteStore(join(dataDir, 'pipai.sqlite'));
    await store.migrate();
    const { accountId } = await seedAccount(store, 'bench', 10, (index) => receivers[index]!.url);
    const events = eventServiceOn(store, systemClock);
    const eventCount = options.quick ? 100 : 2_000;
    for (let index = 0; index < eventCount; index += 50) {
      await Promise.all(
        Array.from({ length: 50 }, () => events.publishToAccount(accountId, 'account.api_key_rotated', EVENT)),
      );
    }
    await store.close();
    const expected = eventCount * 10;
    const started = performance.now();
    // Started as `pnpm worker` starts it, with its V8 flags.
    const worker = startNode(
      join(REPO, 'packages/server/src/worker.ts'),
      [],
      {
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { PIPAI_DATA_DIR: dataDir }),
        PIPAI_MASTER_KEY: MASTER_KEY,
        PIPAI_DEV_ALLOW_LOOPBACK: '1',
        NODE_EXTRA_CA_CERTS: caFile,
        LOG_LEVEL: 'warn',
      },
      WORKER_NODE_FLAGS,
    );
    const { firstAt, lastAt: finished } = await receipts(receivers, 0, expected, worker);
    // The worker's resident set with the whole queue just delivered (20,000 jobs in a full run).
    const rss = rssMb(worker.process.pid!);
    await worker.stop();

    const baseline = JSON.parse(
      (
        await run(
          process.execPath,
          [
            join(REPO, 'packages/bench/src/raw-poster.ts'),
            JSON.stringify({
              urls: receivers.map((r) => r.url),
              total: expected,
              concurrency: CONCURRENCY,
              body: ENVELOPE,
            }),
          ],
          { env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } },
        )
      ).stdout,
    ) as { total: number; wallMs: number };
    const peer = postgres ? await graphilePeer(postgres.url, receivers, eventCount, caFile) : undefined;
    return {
      deliveries: expected,
      perSecond: expected / ((finished - firstAt) / 1000),
      wallMs: finished - started,
      rssMb: rss,
      rawPerSecond: baseline.total / (baseline.wallMs / 1000),
      peer,
    };
  } finally {
    for (const receiver of receivers) await receiver.close();
    await postgres?.stop();
  }
}

export async function deliveryThroughput(options: Options): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-bench-deliveries-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, testCaPem);
  try {
    const sqlite = await throughputOn('sqlite', options, dir, caFile);
    const postgres = await throughputOn('postgres', options, dir, caFile);
    const peer = postgres.peer!;
    const sqliteRatio = sqlite.perSecond / sqlite.rawPerSecond;
    const postgresRatio = postgres.perSecond / postgres.rawPerSecond;
    const versusPeer = postgres.perSecond / peer.perSecond;
    const rss = Math.max(sqlite.rssMb, postgres.rssMb);
    return {
      scenario: 'delivery-throughput',
      measurements: {
        'raw undici loop, same bodies and receivers (SQLite run)': {
          perSecond: sqlite.rawPerSecond,
          count: sqlite.deliveries,
        },
        'raw undici loop, same bodies and receivers (PostgreSQL run)': {
          perSecond: postgres.rawPerSecond,
          count: postgres.deliveries,
        },
        'worker, SQLite': {
          perSecond: sqlite.perSecond,
          wallMs: sqlite.wallMs,
          rssMb: sqlite.rssMb,
          count: sqlite.deliveries,
        },
        'worker, PostgreSQL': {
          perSecond: postgres.perSecond,
          wallMs: postgres.wallMs,
          rssMb: postgres.rssMb,
          count: postgres.deliveries,
        },
        'graphile-worker peer, same PostgreSQL server': {
          perSecond: peer.perSecond,
          rssMb: peer.rssMb,
          count: peer.count,
        },
      },
      checks: [
        {
          name: 'SQLite ≥ 40 % of the raw loop',
          value: `${(sqliteRatio * 100).toFixed(1)} %`,
          pass: sqliteRatio >= 0.4,
        },
        {
          name: 'PostgreSQL ≥ 30 % of the raw loop',
          value: `${(postgresRatio * 100).toFixed(1)} %`,
          pass: postgresRatio >= 0.3,
        },
        {
          name: 'PostgreSQL ahead of graphile-worker (ours / theirs ≥ 1)',
          value: `${versusPeer.toFixed(2)}`,
          pass: versusPeer >= 1,
        },
        {
          name: `worker RSS ≤ 150 MB after ${sqlite.deliveries.toLocaleString('en')} queued`,
          value: `${rss.toFixed(0)} MB`,
          pass: rss <= 150,
        },
      ],
      notes:
        `${sqlite.deliveries / 10} events × 10 webhooks, published (outbox) before a separate worker process starts; throughput from the first to the last receipt. Signed, logged, health kept. ` +
        `Baseline, in each store's run: ${CONCURRENCY} concurrent undici requests (the worker's 10 webhooks × 4 in flight). ` +
        `Peer: graphile-worker ${GRAPHILE_VERSION} on the same PostgreSQL server, the same jobs added in bulk (addJobs) before it starts, concurrency ${CONCURRENCY}, its documented throughput settings (pool concurrency + 1, local queue 500, batched completion), each task signing the same body and posting it with undici.`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function deliveryLatency(options: Options): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-bench-latency-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, testCaPem);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let secret = '';
  let rejected = 0;
  const receivers = await startReceivers(1, (headers, body) => {
    const arrived = performance.now();
    verifyWebhook({ secret, headers, body }).then(
      (event) => latencies.push(arrived - sentAt.get(event.id)!),
      () => (rejected += 1),
    );
  });
  const store = openSqliteStore(join(dir, 'pipai.sqlite'));
  await store.migrate();
  await seedAccount(store, 'bench', 0, () => '');
  await store.close();
  const api = await startApi({
    dataDir: dir,
    worker: true,
    extra: { PIPAI_INTERNAL_TOKEN: 'bench', PIPAI_DEV_ALLOW_LOOPBACK: '1', NODE_EXTRA_CA_CERTS: caFile },
  });
  try {
    // The receiver's webhook, created through the API (its URL is checked for real).
    const reopened = openSqliteStore(join(dir, 'pipai.sqlite'));
    const key = (await reopened.accounts.listKeys('bench'))[0]!;
    await reopened.close();
    const { secrets } = await import('../lib/seed.ts');
    const apiSecret = secrets.open(key.sealedSecret);
    const created = await signedFetcher(api.baseUrl, { api_key: key.id, api_secret: apiSecret })(
      'POST',
      '/v1/webhooks',
      JSON.stringify({ url: receivers[0]!.url, events: ['*'] }),
    );
    if (created.status !== 201) throw new Error(`create failed: ${created.status} ${await created.text()}`);
    secret = (await created.json()).secret;

    const seconds = options.quick ? 2 : 20;
    const total = seconds * 100;
    const publishStarted = performance.now();
    for (let index = 0; index < total; index += 1) {
      const due = publishStarted + index * 10;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const started = performance.now();
      void fetch(`${api.baseUrl}/internal/v1/events`, {
        method: 'POST',
        headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
        body: JSON.stringify({ account: 'bench', type: 'account.api_key_rotated', data: EVENT }),
      }).then(async (response) => sentAt.set((await response.json()).events[0].id, started));
    }
    await waitFor(() => latencies.length + rejected >= total, 30_000, 'every event verified');
    const p50 = quantile(latencies, 0.5);
    const p99 = quantile(latencies, 0.99);
    return {
      scenario: 'delivery-latency',
      measurements: { 'publish → verified receipt': { p50, p99, count: latencies.length } },
      checks: [
        { name: 'p50 ≤ 20 ms', value: `${p50.toFixed(1)} ms`, pass: p50 <= 20 },
        { name: 'p99 ≤ 100 ms', value: `${p99.toFixed(1)} ms`, pass: p99 <= 100 },
        { name: 'every delivery verifies', value: `${rejected} rejected`, pass: rejected === 0 },
      ],
      notes: `${total} events at 100/s through POST /internal/v1/events; the server's in-process worker delivers; the receiver verifies each signature with the SDK. Latency: from the publish request's start to the receiver's arrival time.`,
    };
  } finally {
    await api.stop();
    for (const receiver of receivers) await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
