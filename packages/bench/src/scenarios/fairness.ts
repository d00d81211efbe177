// fairness: does one account's hanging endpoints slow another account's deliveries? Account B's
// publish → receipt latency alone, then again while account A's 20 webhooks point at endpoints that
// accept the connection and never answer, with A's events queued and A flooding redeliveries through
// the API. The server (API and its worker, default policy) runs in its own process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HttpsEndpoint, startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';
import { createDatabase, startPostgres } from '@pipai/testkit/postgres';
import { signedFetcher } from '@pipai/testkit/signing';
import { openPostgresStore, openSqliteStore, type Store } from '../../../server/src/store/store.ts';
import { freePort, MASTER_KEY, quantile, REPO, startNode, waitFor, waitForHttp } from '../lib/processes.ts';
import { startReceivers } from '../lib/receivers.ts';
import { seedAccount } from '../lib/seed.ts';
import type { Check, Options, ScenarioResult } from '../run.ts';

const EVENT = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };
const A_WEBHOOKS = 20;
const B_WEBHOOKS = 3;
/** Far longer than the measured window: a hung attempt holds its slot until the endpoints close. */
const HANG_TIMEOUT_MS = 600_000;

interface Phase {
  p50: number;
  p99: number;
  count: number;
  expected: number;
  /** Whether some deliveries had not arrived when the wait ended (then p99 is a lower bound). */
  censored: boolean;
  /** B's publishes the server refused or failed in this phase (their deliveries are not expected). */
  refused: number;
}

function sizes(options: Options) {
  return options.quick
    ? { seconds: 2, ratePerSecond: 20, aEvents: 20, redeliveriesPerSecond: 10, waitMs: 5_000 }
    : { seconds: 10, ratePerSecond: 20, aEvents: 100, redeliveriesPerSecond: 20, waitMs: 30_000 };
}

async function runOn(kind: 'sqlite' | 'postgres', options: Options, dir: string, caFile: string) {
  const size = sizes(options);
  const postgres = kind === 'postgres' ? await startPostgres() : undefined;
  const arrivals = new Map<string, number[]>();
  const receivers = await startReceivers(B_WEBHOOKS, (headers) => {
    const at = performance.now();
    const id = String(headers['webhook-id']);
    arrivals.set(id, [...(arrivals.get(id) ?? []), at]);
  });
  const hanging: HttpsEndpoint[] = [];
  let server: ReturnType<typeof startNode> | undefined;
  try {
    for (let index = 0; index < A_WEBHOOKS; index += 1)
      hanging.push(await startHttpsEndpoint('valid', '127.0.0.1', () => ({ status: 204 })));
    const databaseUrl = postgres ? await createDatabase(postgres.url) : undefined;
    const dataDir = join(dir, kind);
    const store: Store = databaseUrl ? openPostgresStore(databaseUrl) : openSqliteStore(join(dataDir, 'pipai.sqlite'));
    await store.migrate();
    const a = await seedAccount(
      store,
      'account-a',
      A_WEBHOOKS,
      (index) => `https://127.0.0.1:${hanging[index]!.port}/hook`,
    );
    await seedAccount(store, 'account-b', B_WEBHOOKS, (index) => receivers[index]!.url);
    const aWebhooks = (await store.webhooks.listActive(a.accountId)).map((webhook) => webhook.id);
    await store.close();

    const port = await freePort();
    server = startNode(join(REPO, 'packages/bench/src/servers/api-worker.ts'), [], {
      PORT: String(port),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : { PIPAI_DATA_DIR: dataDir }),
      PIPAI_MASTER_KEY: MASTER_KEY,
      BENCH_CA_FILE: caFile,
      BENCH_TIMEOUT_MS: String(HANG_TIMEOUT_MS),
    });
    const baseUrl = `http://127.0.0.1:${port}`;
    const child = server;
    await waitForHttp(`${baseUrl}/healthz`).catch((error: Error) => {
      throw new Error(`${error.message}\n${child.output()}`);
    });

    const publishedAt = new Map<string, number>();
    /** Publishes one event; a refusal or a failed request is counted and reported, not retried. */
    let publishErrors = 0;
    let firstError = '';
    const publish = async (account: string): Promise<string | undefined> => {
      const started = performance.now();
      try {
        const response = await fetch(`${baseUrl}/internal/v1/events`, {
          method: 'POST',
          headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
          body: JSON.stringify({ account, type: 'account.api_key_rotated', data: EVENT }),
        });
        if (response.status !== 202) throw new Error(`${response.status} ${await response.text()}`);
        const id = (await response.json()).events[0].id as string;
        publishedAt.set(id, started);
        return id;
      } catch (error) {
        publishErrors += 1;
        firstError ||= `${(error as Error).message}${(error as Error).cause ? ` (${String((error as Error).cause)})` : ''}`;
        return undefined;
      }
    };

    // A's endpoints answer once, so that A has attempts to redeliver; from then on they hang.
    if (!(await publish('account-a')))
      throw new Error(`publish failed: ${firstError}\n${child.output().slice(-4_000)}`);
    await waitFor(() => hanging.every((endpoint) => endpoint.received.length >= 1), 30_000, "A's first deliveries");
    const signedA = signedFetcher(baseUrl, a.key);
    const attemptOf = new Map<string, string>();
    await waitFor(
      async () => {
        for (const webhookId of aWebhooks.filter((id) => !attemptOf.has(id))) {
          const listed = await (await signedA('GET', `/v1/webhooks/${webhookId}/deliveries?limit=1`)).json();
          if (listed.data?.[0]) attemptOf.set(webhookId, listed.data[0].id);
        }
        return attemptOf.size === aWebhooks.length;
      },
      30_000,
      "A's first attempts recorded",
    );
    for (const endpoint of hanging) endpoint.respondWith(() => 'hang');

    /** B publishes at a steady rate for the phase, then its deliveries are awaited (bounded). */
    const measureB = async (): Promise<Phase> => {
      const ids: string[] = [];
      const errorsBefore = publishErrors;
      const total = size.seconds * size.ratePerSecond;
      const started = performance.now();
      const pending: Promise<void>[] = [];
      for (let index = 0; index < total; index += 1) {
        const wait = started + (index * 1000) / size.ratePerSecond - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        pending.push(publish('account-b').then((id) => void (id && ids.push(id))));
      }
      await Promise.all(pending);
      // The deliveries of the events the server accepted; refused publishes are counted apart.
      const expected = ids.length * B_WEBHOOKS;
      const received = () => ids.reduce((sum, id) => sum + Math.min(B_WEBHOOKS, arrivals.get(id)?.length ?? 0), 0);
      await waitFor(() => received() >= expected, size.waitMs, "B's deliveries").catch(() => undefined);
      const ended = performance.now();
      // A delivery that never arrived counts as having taken at least until the wait ended.
      const latencies = ids.flatMap((id) => {
        const times = (arrivals.get(id) ?? []).slice(0, B_WEBHOOKS).map((at) => at - publishedAt.get(id)!);
        return [...times, ...Array.from({ length: B_WEBHOOKS - times.length }, () => ended - publishedAt.get(id)!)];
      });
      return {
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        count: received(),
        expected,
        censored: received() < expected,
        refused: publishErrors - errorsBefore,
      };
    };

    const alone = await measureB();

    // A's backlog: every webhook has more due jobs than the worker will run at once.
    for (let index = 0; index < size.aEvents; index += 10)
      await Promise.all(Array.from({ length: 10 }, () => publish('account-a')));
    await waitFor(
      () => hanging.reduce((sum, endpoint) => sum + endpoint.received.length, 0) >= A_WEBHOOKS + 1,
      10_000,
      'A hanging',
    ).catch(() => undefined);
    // Redeliveries of A's attempts, at a steady rate while B is measured (bounded in count and time).
    let redelivered = 0;
    let redeliveryErrors = 0;
    const flood = (async () => {
      const total = size.seconds * size.redeliveriesPerSecond;
      const started = performance.now();
      for (let index = 0; index < total; index += 1) {
        const wait = started + (index * 1000) / size.redeliveriesPerSecond - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const webhookId = aWebhooks[index % aWebhooks.length]!;
        try {
          const response = await signedA(
            'POST',
            `/v1/webhooks/${webhookId}/deliveries/${attemptOf.get(webhookId)}/redeliver`,
          );
          await response.arrayBuffer();
          if (response.status === 202) redelivered += 1;
          else redeliveryErrors += 1;
        } catch {
          redeliveryErrors += 1;
        }
      }
    })();
    const loaded = await measureB();
    await flood;
    const aInFlight = hanging.reduce((sum, endpoint) => sum + endpoint.received.length, 0) - A_WEBHOOKS;
    if (child.process.exitCode !== null)
      throw new Error(`the server exited during the run\n${child.output().slice(-4_000)}`);
    // What the server logged (warnings and errors only) goes with a failed publish into the notes.
    const serverLog = publishErrors ? child.output().slice(-2_000) : '';
    return {
      alone,
      loaded,
      redelivered,
      redeliveryErrors,
      aInFlight,
      aJobs: size.aEvents * A_WEBHOOKS,
      publishErrors,
      firstError,
      serverLog,
    };
  } finally {
    // Closing A's endpoints ends the hung attempts, so the worker can stop.
    for (const endpoint of hanging) await endpoint.close();
    await server?.stop();
    for (const receiver of receivers) await receiver.close();
    await postgres?.stop();
  }
}

export async function fairness(options: Options): Promise<ScenarioResult> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-bench-fairness-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, testCaPem);
  try {
    const measurements: ScenarioResult['measurements'] = {};
    const checks: Check[] = [];
    let notesFrom: Awaited<ReturnType<typeof runOn>> | undefined;
    for (const kind of ['sqlite', 'postgres'] as const) {
      const result = await runOn(kind, options, dir, caFile);
      notesFrom = result;
      const label = kind === 'sqlite' ? 'SQLite' : 'PostgreSQL';
      const phase = (p: Phase) => ({
        p50: p.p50,
        p99: p.p99,
        count: p.count,
        expected: p.expected,
        refused: p.refused,
      });
      measurements[`B alone, ${label}`] = phase(result.alone);
      measurements[`B with A's ${A_WEBHOOKS} hanging webhooks, ${label}`] = {
        ...phase(result.loaded),
        hung: result.aInFlight,
        redelivered: result.redelivered,
      };
      const ratio = result.loaded.p99 / Math.max(result.alone.p99, 0.001);
      // A phase whose publishes were refused measured fewer (other) events: its p99 proves nothing.
      const refused = result.alone.refused + result.loaded.refused;
      checks.push(
        {
          name: `B's p99 with A / alone ≤ 2× (${label})`,
          value:
            `${result.loaded.censored ? '≥ ' : ''}${ratio.toFixed(1)}× (${result.alone.p99.toFixed(0)} → ${result.loaded.censored ? '≥ ' : ''}${result.loaded.p99.toFixed(0)} ms)` +
            (refused
              ? `; not judged: ${result.alone.refused} + ${result.loaded.refused} of B's publishes refused`
              : '') +
            (result.alone.censored ? '; not judged: the baseline itself lost deliveries' : ''),
          pass: ratio <= 2 && !result.loaded.censored && !result.alone.censored && refused === 0,
        },
        {
          name: `every B delivery arrived (${label})`,
          value: `${result.alone.count}/${result.alone.expected} alone, ${result.loaded.count}/${result.loaded.expected} with A`,
          pass: !result.alone.censored && !result.loaded.censored,
        },
        {
          name: `A's redeliveries accepted by the API (${label})`,
          value: `${result.redelivered}, ${result.redeliveryErrors} refused or failed`,
          pass: result.redeliveryErrors === 0,
        },
        {
          name: `publishes refused or failed: 0 (${label})`,
          value: `${result.publishErrors}${result.firstError ? ` (first: ${result.firstError.slice(0, 200).replaceAll('|', '/').replaceAll('\n', ' ')})` : ''}`,
          pass: result.publishErrors === 0,
        },
      );
      if (result.serverLog)
        process.stderr.write(`fairness (${label}): the server's log at the end:\n${result.serverLog}\n`);
    }
    const size = sizes(options);
    return {
      scenario: 'fairness',
      measurements,
      checks,
      notes:
        `API and worker in one process (createServices, default worker policy), delivery timeout ${HANG_TIMEOUT_MS / 60_000} min. ` +
        `B: ${B_WEBHOOKS} webhooks, ${size.ratePerSecond} events/s for ${size.seconds} s; latency from the publish request's start to the receiver's arrival. ` +
        `A: ${A_WEBHOOKS} webhooks whose endpoints accept and never answer, ${notesFrom?.aJobs ?? 0} jobs queued before B starts, ${size.redeliveriesPerSecond} redeliveries/s through the API while B runs; \`hung\` = A's requests held open at the end. ` +
        `B's deliveries are awaited ${size.waitMs / 1000} s at most; one not arrived counts as taking until then, so the p99 is then a lower bound (≥).`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
