// list-vs-bare and list-postgres: GET /v1/webhooks?limit=25 through the whole stack (signed auth,
// validation, the store, weight accounting) against bare Express and node:http returning the same bytes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, createDatabase } from '@pipai/testkit/postgres';
import { PostgresStore } from '../../../server/src/store/postgres-store.ts';
import { SqliteStore } from '../../../server/src/store/sqlite-store.ts';
import type { Store } from '../../../server/src/store/store.ts';
import { signedFetcher } from '@pipai/testkit/signing';
import { startApi } from '../lib/api-server.ts';
import { load, type LoadResult } from '../lib/load.ts';
import { freePort, REPO, rssMb, startNode, waitForHttp } from '../lib/processes.ts';
import { extraKey, seedAccount } from '../lib/seed.ts';
import type { Options, ScenarioResult } from '../run.ts';

const PATH = '/v1/webhooks?limit=25';
const CONNECTIONS = 32;

type Key = { api_key: string; api_secret: string };

/** A warm-up and a run, each with its own key: one key's identical requests cannot outpace its clock. */
async function measure(baseUrl: string, keys: [Key, Key], options: Options): Promise<LoadResult> {
  await load({ url: baseUrl, path: PATH, connections: CONNECTIONS, durationS: 1, credentials: keys[0] });
  return load({ url: baseUrl, path: PATH, connections: CONNECTIONS, durationS: options.quick ? 2 : 10, credentials: keys[1] });
}

export async function listScenario(options: Options, storeKind: 'sqlite' | 'postgres'): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-bench-list-'));
  const postgres = storeKind === 'postgres' ? await startPostgres() : undefined;
  try {
    const databaseUrl = postgres ? await createDatabase(postgres.url) : undefined;
    const store: Store = databaseUrl ? new PostgresStore(databaseUrl) : new SqliteStore(join(dir, 'pipai.sqlite'));
    await store.migrate();
    const { key } = await seedAccount(store, 'bench', 25, (index) => `https://hooks${index}.example.com/pipai`);
    const keys: [Key, Key] = [key, await extraKey(store, 'bench')];
    await store.close();

    const api = await startApi(databaseUrl ? { databaseUrl } : { dataDir: dir });
    const body = Buffer.from(await (await signedFetcher(api.baseUrl, key)('GET', PATH)).arrayBuffer());
    writeFileSync(join(dir, 'body.json'), body);
    const full = await measure(api.baseUrl, keys, options);
    const rss = rssMb(api.process.pid!);
    await api.stop();

    const baselines: Record<string, LoadResult> = {};
    for (const kind of ['express', 'raw'] as const) {
      const port = await freePort();
      const server = startNode(join(REPO, 'packages/bench/src/servers/canned.ts'), [kind, join(dir, 'body.json')], { PORT: String(port) });
      await waitForHttp(`http://127.0.0.1:${port}${kind === 'express' ? '/healthz' : '/'}`);
      baselines[kind] = await measure(`http://127.0.0.1:${port}`, keys, options);
      await server.stop();
    }
    const ratio = full.requestsPerSec / baselines.express!.requestsPerSec;
    const target = storeKind === 'sqlite' ? 0.5 : 0.35;
    return {
      scenario: storeKind === 'sqlite' ? 'list-vs-bare' : 'list-postgres',
      measurements: {
        [`full stack (${storeKind})`]: full,
        'bare Express, same bytes': baselines.express!,
        'node:http, same bytes': baselines.raw!,
      },
      checks: [
        { name: `full stack / bare Express throughput ≥ ${target * 100} %`, value: `${(ratio * 100).toFixed(1)} %`, pass: ratio >= target },
        ...(storeKind === 'sqlite' ? [{ name: 'full stack p99 ≤ 25 ms', value: `${full.p99} ms`, pass: full.p99 <= 25 }] : []),
        { name: 'no errors or non-2xx', value: `${full.errors + full.non2xx}`, pass: full.errors + full.non2xx === 0 },
        { name: 'server RSS after the run ≤ 200 MB', value: `${rss.toFixed(0)} MB`, pass: rss <= 200 },
      ],
      notes: `${CONNECTIONS} connections, ${options.quick ? 2 : 10} s per target after a 1 s warm-up; every request signed afresh by the load generator.`,
    };
  } finally {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
