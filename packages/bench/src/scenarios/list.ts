// list-vs-bare and list-postgres: GET /v1/webhooks?limit=25 (and GET /v1/webhooks/{id}) through the
// whole stack (signed auth, validation, the store, weight accounting) against bare Express and
// node:http returning the same bytes. Judged by the server's own CPU time per request: on two shared
// cores the load generator saturates first against the baselines, so their throughput says more
// about the generator than about the server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, startPostgres } from '@pipai/testkit/postgres';
import { signedFetcher } from '@pipai/testkit/signing';
import { openPostgresStore, openSqliteStore, type Store } from '../../../server/src/store/store.ts';
import { startApi } from '../lib/api-server.ts';
import { type LoadResult, load } from '../lib/load.ts';
import { type Child, cpuMs, freePort, REPO, rssMb, startNode, waitForHttp } from '../lib/processes.ts';
import { extraKey, seedAccount } from '../lib/seed.ts';
import type { Check, Options, ScenarioResult } from '../run.ts';

const LIST = '/v1/webhooks?limit=25';
const CONNECTIONS = 32;

type Key = { api_key: string; api_secret: string };
type Measured = LoadResult & { serverCpuUsPerRequest: number };

/** Keys for a warm-up (the first) and a run (the others, taken in turn). */
type Keys = [Key, ...Key[]];

/**
 * How many keys a run signs with: each key's timestamps then advance at a sixteenth of the request
 * rate, so a server answering ~16,000 gets a second keeps every key's clock within the 30 s window.
 */
const RUN_KEYS = 16;

/**
 * A warm-up and a run, each with keys of its own (one key's identical requests cannot outpace its
 * clock); the server's CPU time over the run only, read from /proc, divided by the requests answered.
 */
async function measure(server: Child, baseUrl: string, path: string, keys: Keys, options: Options): Promise<Measured> {
  await load({ url: baseUrl, path, connections: CONNECTIONS, durationS: 1, credentials: [keys[0]] });
  const pid = server.process.pid!;
  const before = cpuMs(pid);
  const result = await load({
    url: baseUrl,
    path,
    connections: CONNECTIONS,
    durationS: options.quick ? 2 : 10,
    credentials: keys.slice(1),
  });
  return { ...result, serverCpuUsPerRequest: ((cpuMs(pid) - before) * 1000) / Math.max(1, result.total) };
}

export async function listScenario(options: Options, storeKind: 'sqlite' | 'postgres'): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-bench-list-'));
  const postgres = storeKind === 'postgres' ? await startPostgres() : undefined;
  try {
    const databaseUrl = postgres ? await createDatabase(postgres.url) : undefined;
    const store: Store = databaseUrl ? openPostgresStore(databaseUrl) : openSqliteStore(join(dir, 'pipai.sqlite'));
    await store.migrate();
    const { key, accountId } = await seedAccount(
      store,
      'bench',
      25,
      (index) => `https://hooks${index}.example.com/pipai`,
    );
    const moreKeys = async (count: number) => {
      const keys: Key[] = [];
      for (let index = 0; index < count; index += 1) keys.push(await extraKey(store, 'bench'));
      return keys;
    };
    const keys: Keys = [key, ...(await moreKeys(RUN_KEYS))];
    // The get runs sign with keys of their own: the list runs have run their keys' timestamps ahead.
    const getKeys = (await moreKeys(RUN_KEYS + 1)) as Keys;
    const get = `/v1/webhooks/${(await store.webhooks.listActive(accountId))[0]!.id}`;
    await store.close();

    const api = await startApi(databaseUrl ? { databaseUrl } : { dataDir: dir });
    const signed = signedFetcher(api.baseUrl, key);
    writeFileSync(join(dir, 'list.json'), Buffer.from(await (await signed('GET', LIST)).arrayBuffer()));
    writeFileSync(join(dir, 'get.json'), Buffer.from(await (await signed('GET', get)).arrayBuffer()));
    const full = await measure(api, api.baseUrl, LIST, keys, options);
    const fullGet = await measure(api, api.baseUrl, get, getKeys, options);
    const rss = rssMb(api.process.pid!);
    await api.stop();

    const baselines: Record<string, Measured> = {};
    for (const kind of ['express', 'raw'] as const) {
      const port = await freePort();
      const server = startNode(
        join(REPO, 'packages/bench/src/servers/canned.ts'),
        [kind, join(dir, 'list.json'), join(dir, 'get.json')],
        {
          PORT: String(port),
        },
      );
      await waitForHttp(`http://127.0.0.1:${port}${kind === 'express' ? '/healthz' : '/'}`);
      baselines[kind] = await measure(server, `http://127.0.0.1:${port}`, LIST, keys, options);
      if (kind === 'express')
        baselines.expressGet = await measure(server, `http://127.0.0.1:${port}`, get, getKeys, options);
      await server.stop();
    }
    const cpuTarget = storeKind === 'sqlite' ? 4 : 6;
    const cpuRatio = (a: Measured, b: Measured) => a.serverCpuUsPerRequest / Math.max(b.serverCpuUsPerRequest, 0.1);
    const listRatio = cpuRatio(full, baselines.express!);
    const getRatio = cpuRatio(fullGet, baselines.expressGet!);
    const errors = full.errors + full.non2xx + fullGet.errors + fullGet.non2xx;
    const checks: Check[] = [
      {
        name: `list: server CPU per request, full stack / bare Express ≤ ${cpuTarget}×`,
        value: `${listRatio.toFixed(1)}×`,
        pass: listRatio <= cpuTarget,
      },
      {
        name: `get: server CPU per request, full stack / bare Express ≤ ${cpuTarget}×`,
        value: `${getRatio.toFixed(1)}×`,
        pass: getRatio <= cpuTarget,
      },
      ...(storeKind === 'sqlite'
        ? [{ name: 'full stack list p99 ≤ 25 ms', value: `${full.p99} ms`, pass: full.p99 <= 25 }]
        : []),
      { name: 'no errors or non-2xx', value: `${errors}`, pass: errors === 0 },
      { name: 'server RSS after the run ≤ 150 MB', value: `${rss.toFixed(0)} MB`, pass: rss <= 150 },
    ];
    return {
      scenario: storeKind === 'sqlite' ? 'list-vs-bare' : 'list-postgres',
      measurements: {
        [`list, full stack (${storeKind})`]: full,
        'list, bare Express, same bytes': baselines.express!,
        'list, node:http, same bytes': baselines.raw!,
        [`get, full stack (${storeKind})`]: fullGet,
        'get, bare Express, same bytes': baselines.expressGet!,
      },
      checks,
      notes:
        `${CONNECTIONS} connections, ${options.quick ? 2 : 10} s per target after a 1 s warm-up; every request signed afresh by the load generator. ` +
        `serverCpuUsPerRequest: the server process's user + system CPU time over the measured run (/proc/<pid>/stat, 10 ms ticks), in µs per request answered` +
        `${storeKind === 'postgres' ? "; PostgreSQL's own CPU is not in it" : ''}. A loadCpuPercent near 100 means the generator, not the server, set the throughput.`,
    };
  } finally {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
