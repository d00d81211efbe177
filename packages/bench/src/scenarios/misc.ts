// list-scale, create and toolchain.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { testCaPem } from '@pipai/testkit/pki';
import { signedFetcher } from '@pipai/testkit/signing';
import { openSqliteStore } from '../../../server/src/store/store.ts';
import { startApi } from '../lib/api-server.ts';
import { type LoadResult, load } from '../lib/load.ts';
import { type Child, cpuMs, freePort, quantile, REPO, startNode, waitForHttp } from '../lib/processes.ts';
import { startReceivers } from '../lib/receivers.ts';
import { extraKey, seedAccount } from '../lib/seed.ts';
import type { Options, ScenarioResult } from '../run.ts';

const run = promisify(execFile);

/** `total` webhooks over total/10 accounts, written with SQL in one transaction (seeding, not measured). */
function bulkSeed(file: string, total: number): void {
  const db = new DatabaseSync(file);
  const accounts = Math.max(1, Math.floor(total / 10));
  db.exec('BEGIN');
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
     INSERT INTO accounts (id, name, created_at) SELECT 'acct_bulk' || i, 'bulk-' || i, 0 FROM n`,
  ).run(BigInt(accounts));
  db.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
     INSERT INTO webhooks (id, account_id, url, normalized_url, events, description, status, consecutive_failures, created_at, sealed_secret)
     SELECT printf('wh_%08x', i), 'acct_bulk' || (i % ?), 'https://h' || i || '.example.com/', 'https://h' || i || '.example.com/',
            '["*"]', NULL, 'active', 0, 0, 'v1.x' FROM n`,
  ).run(BigInt(total), BigInt(accounts));
  db.exec('COMMIT');
  db.close();
}

export async function listScale(options: Options): Promise<ScenarioResult> {
  const sizes = options.quick ? [1_000, 20_000] : [1_000, 1_000_000];
  const results: Record<string, LoadResult> = {};
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'pipai-bench-scale-'));
    try {
      const store = openSqliteStore(join(dir, 'pipai.sqlite'));
      await store.migrate();
      await store.close();
      bulkSeed(join(dir, 'pipai.sqlite'), size);
      const reopened = openSqliteStore(join(dir, 'pipai.sqlite'));
      const { key } = await seedAccount(reopened, 'bench', 10, (index) => `https://bench${index}.example.com/`);
      const warmUpKey = await extraKey(reopened, 'bench');
      await reopened.close();
      const api = await startApi({ dataDir: dir });
      const path = '/v1/webhooks?limit=5&event=strategy.deployed';
      await load({ url: api.baseUrl, path, connections: 8, durationS: 1, credentials: [warmUpKey] });
      results[`${size.toLocaleString('en')} webhooks, ${Math.floor(size / 10).toLocaleString('en')} accounts`] =
        await load({
          url: api.baseUrl,
          path,
          connections: 8,
          durationS: options.quick ? 2 : 8,
          credentials: [key],
        });
      await api.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const [small, large] = Object.values(results) as [LoadResult, LoadResult];
  const ratio = large.p50 / Math.max(small.p50, 0.001);
  return {
    scenario: 'list-scale',
    measurements: results,
    checks: [
      {
        name: 'p50 at the large size / p50 at 1 k ≤ 1.3',
        value: ratio.toFixed(2),
        pass: ratio <= 1.3 || large.p50 - small.p50 <= 1,
      },
    ],
    notes:
      'GET /v1/webhooks?limit=5&event=strategy.deployed for an account of 10 webhooks among all others; keyset pagination on (account_id, seq). Latencies in ms at 8 connections; autocannon reports whole milliseconds, so a difference within 1 ms also passes.',
  };
}

/** Create + delete pairs from 8 concurrent clients for the run's length; the server's CPU per request. */
async function createAndDelete(
  server: Child,
  baseUrl: string,
  key: { api_key: string; api_secret: string },
  targetUrl: string,
  durationMs: number,
) {
  const signed = signedFetcher(baseUrl, key);
  const call = async (method: string, path: string, body = '') => {
    const started = performance.now();
    const response = await signed(method, path, body);
    const text = await response.text();
    return { status: response.status, ms: performance.now() - started, body: text ? JSON.parse(text) : undefined };
  };
  const createLatencies: number[] = [];
  const deleteLatencies: number[] = [];
  let failures = 0;
  let counter = 0;
  const cpuBefore = cpuMs(server.process.pid!);
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < until) {
        const created = await call(
          'POST',
          '/v1/webhooks',
          JSON.stringify({ url: `${targetUrl}/${++counter}`, events: ['*'] }),
        );
        if (created.status !== 201) {
          failures += 1;
          continue;
        }
        createLatencies.push(created.ms);
        const deleted = await call('DELETE', `/v1/webhooks/${created.body.id}`);
        if (deleted.status === 204) deleteLatencies.push(deleted.ms);
        else failures += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const requests = createLatencies.length + deleteLatencies.length + failures;
  return {
    failures,
    create: {
      perSecond: createLatencies.length / seconds,
      p50: quantile(createLatencies, 0.5),
      p99: quantile(createLatencies, 0.99),
      serverCpuUsPerRequest: ((cpuMs(server.process.pid!) - cpuBefore) * 1000) / Math.max(1, requests),
    },
    delete: { p50: quantile(deleteLatencies, 0.5), p99: quantile(deleteLatencies, 0.99) },
  };
}

export async function createScenario(options: Options): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-bench-create-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, testCaPem);
  const [target] = await startReceivers(1);
  const durationMs = options.quick ? 2_000 : 10_000;
  try {
    const store = openSqliteStore(join(dir, 'pipai.sqlite'));
    await store.migrate();
    const { key } = await seedAccount(store, 'bench', 0, () => '');
    const warmUpKey = await extraKey(store, 'bench');
    await store.close();
    const api = await startApi({ dataDir: dir, extra: { PIPAI_DEV_ALLOW_LOOPBACK: '1', NODE_EXTRA_CA_CERTS: caFile } });
    await createAndDelete(api, api.baseUrl, warmUpKey, target!.url, 1_000);
    const full = await createAndDelete(api, api.baseUrl, key, target!.url, durationMs);
    // The baseline answers with the bytes of a webhook the full stack created.
    const sample = await signedFetcher(api.baseUrl, warmUpKey)(
      'POST',
      '/v1/webhooks',
      JSON.stringify({ url: `${target!.url}/sample`, events: ['*'] }),
    );
    writeFileSync(join(dir, 'created.json'), Buffer.from(await sample.arrayBuffer()));
    await api.stop();

    const port = await freePort();
    const canned = startNode(
      join(REPO, 'packages/bench/src/servers/canned.ts'),
      ['express', join(dir, 'created.json'), join(dir, 'created.json'), join(dir, 'created.json')],
      { PORT: String(port) },
    );
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    const bareUrl = `http://127.0.0.1:${port}`;
    await createAndDelete(canned, bareUrl, warmUpKey, target!.url, 1_000);
    const bare = await createAndDelete(canned, bareUrl, key, target!.url, durationMs);
    await canned.stop();
    const ratio = full.create.serverCpuUsPerRequest / Math.max(bare.create.serverCpuUsPerRequest, 0.1);
    return {
      scenario: 'create',
      measurements: {
        'POST /v1/webhooks (URL checked: DNS + TLS handshake to a loopback HTTPS target), then DELETE': full.create,
        'DELETE /v1/webhooks/{id}': full.delete,
        'the same pairs against bare Express, same bytes': bare.create,
        'server CPU per request, full stack / bare Express': { ratio: Number(ratio.toFixed(1)) },
      },
      checks: [
        { name: 'every create and delete succeeded', value: `${full.failures} failures`, pass: full.failures === 0 },
      ],
      notes:
        "8 concurrent clients, each creating a webhook and deleting it again, signed requests. serverCpuUsPerRequest: the server process's CPU time over the run divided by the creates and deletes it answered. No target: reported (a create checks its URL for real, with a TLS handshake).",
    };
  } finally {
    await target!.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function toolchain(): Promise<ScenarioResult> {
  const time = async (args: string[]) => {
    const started = performance.now();
    await run(process.execPath, args, { cwd: REPO, env: { ...process.env, REDOCLY_TELEMETRY: 'off' } });
    return performance.now() - started;
  };
  const redocly = join(REPO, 'node_modules/@redocly/cli/bin/cli.js');
  const gen = await time([join(REPO, 'scripts/gen.ts'), '--check']);
  const lint = await time([redocly, 'lint']);
  return {
    scenario: 'toolchain',
    measurements: { 'pnpm gen (lint, two bundles, types, catalog)': { wallMs: gen }, 'pnpm lint': { wallMs: lint } },
    checks: [{ name: 'gen + lint ≤ 5 s', value: `${((gen + lint) / 1000).toFixed(2)} s`, pass: gen + lint <= 5_000 }],
    notes:
      'Wall time of each command as a fresh process (gen measured in its --check form, which does the same work without writing).',
  };
}
