// Durability with real processes: a worker killed with SIGKILL mid-batch loses nothing once another
// starts; two workers on one PostgreSQL queue share 2,000 deliveries without sending any twice.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HttpsEndpoint, type ReceivedRequest, startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { MASTER_KEY, startTestApi, type TestApi } from './support/api.ts';
import { STORE_KINDS } from './support/stores.ts';
import { deliveryCounts, waitUntil } from './support/waiting.ts';

const WORKER = fileURLToPath(new URL('../src/worker.ts', import.meta.url));
const children: ChildProcess[] = [];
const outputs = new WeakMap<ChildProcess, () => string>();
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** `lease`: how long a claimed job stays this worker's (PIPAI_DELIVERY_LEASE). */
async function startWorker(api: TestApi, caFile: string, lease: string): Promise<ChildProcess> {
  const location = api.opened.location;
  const env = {
    ...process.env,
    ...(api.opened.store.kind === 'postgres' ? { DATABASE_URL: location } : { PIPAI_DATA_DIR: dirname(location) }),
    PIPAI_MASTER_KEY: MASTER_KEY.toString('base64'),
    PIPAI_DEV_ALLOW_LOOPBACK: '1',
    NODE_EXTRA_CA_CERTS: caFile,
    PIPAI_DELIVERY_LEASE: lease,
    LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, [WORKER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  outputs.set(child, () => output);
  const started = Date.now();
  while (!output.includes('PipAI delivery worker running')) {
    if (Date.now() - started > 30_000 || child.exitCode !== null) throw new Error(`worker did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

/** Stops a worker as a deployment would (SIGTERM finishes the deliveries under way) and waits for it. */
async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The end of what the workers logged, for a failure message. */
const logsOf = (workers: ChildProcess[]) =>
  workers.map((worker) => `--- worker ${worker.pid}:\n${(outputs.get(worker)?.() ?? '').slice(-3000)}`).join('\n');

async function setUp(
  kind: 'sqlite' | 'postgres',
  webhookCount: number,
  responder?: Parameters<typeof startHttpsEndpoint>[2],
) {
  const api = await startTestApi(kind);
  cleanups.push(() => api.close());
  const caDir = mkdtempSync(join(tmpdir(), 'pipai-ca-'));
  const caFile = join(caDir, 'ca.pem');
  writeFileSync(caFile, testCaPem);
  cleanups.push(async () => rmSync(caDir, { recursive: true, force: true }));
  const key = await api.issueKey(`durable-${kind}`);
  const receivers: HttpsEndpoint[] = [];
  for (let index = 0; index < webhookCount; index += 1) {
    const receiver = await startHttpsEndpoint('valid', '127.0.0.1', responder);
    cleanups.push(() => receiver.close());
    receivers.push(receiver);
    const created = await api.request(key, 'POST', '/v1/webhooks', {
      url: `https://127.0.0.1:${receiver.port}/hook`,
      events: ['*'],
    });
    expect(created.status).toBe(201);
  }
  const accountId = (await api.opened.store.accounts.findKey(key.api_key))!.accountId;
  const publish = async (count: number) => {
    const data = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };
    for (let start = 0; start < count; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, () =>
          api.services.events.publishToAccount(accountId, 'account.api_key_rotated', data),
        ),
      );
    }
  };
  return { api, caFile, receivers, publish };
}

describe.each(STORE_KINDS)('a worker killed mid-batch on %s', (kind) => {
  it('loses no event: a restarted worker delivers everything, repeats only what was in flight', async () => {
    // The receivers answer the first 40 deliveries, then hold every later request open until the
    // worker is dead: the kill lands while deliveries are under way, however fast the worker runs.
    const ANSWERED = 40;
    let answered = 0;
    let killed = false;
    const held: ReceivedRequest[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { api, caFile, receivers, publish } = await setUp(kind, 5, async (request) => {
      if (!killed && answered >= ANSWERED) {
        held.push(request);
        await released;
      } else {
        answered += 1;
      }
      return { status: 200 };
    });
    await publish(40);
    const total = 5 * 40;
    // A short lease, so that the restarted worker may take over the killed one's jobs soon.
    const first = await startWorker(api, caFile, '2s');
    await waitUntil(() => held.length > 0, 20_000, 'a delivery held open');
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;
    killed = true;
    release();
    // At most the answered ones and one per-webhook cap's worth held open (4 x 5) had arrived.
    const beforeRestart = deliveryCounts(receivers).size;
    expect(beforeRestart).toBeLessThan(total);

    // A long lease: the restarted worker never takes its own jobs over again, so every repeat is
    // one of the killed worker's.
    const second = await startWorker(api, caFile, '10m');
    await waitUntil(
      () => deliveryCounts(receivers).size === total,
      60_000,
      () => `every delivery (${deliveryCounts(receivers).size} of ${total})\n${logsOf([second])}`,
    );
    // The restarted worker also finishes the jobs whose lease the killed one held.
    await waitUntil(
      async () => (await api.opened.store.queue.countUnfinished()) === 0,
      60_000,
      () => `every job to finish\n${logsOf([second])}`,
    );
    // Nothing is left to send: the counts are final.
    const counts = deliveryCounts(receivers);
    expect(counts.size).toBe(total);
    const pairOf = (request: ReceivedRequest) =>
      `${receivers.findIndex((receiver) => receiver.received.includes(request))}:${String(request.headers['webhook-id'])}`;
    const repeated = [...counts].filter(([, count]) => count > 1).map(([pair]) => pair);
    // At-least-once: what was in flight at the kill (never answered, so never completed) is sent again...
    expect(repeated).toEqual(expect.arrayContaining(held.map(pairOf)));
    // ...and only what the killed worker had claimed may arrive twice.
    expect(repeated.length).toBeLessThanOrEqual(64);
  }, 180_000);
});

/** A process that keeps one core busy until it is killed (or for two minutes at most). */
function startCpuHog(): ChildProcess {
  const hog = spawn(process.execPath, ['-e', 'const end = Date.now() + 120_000; while (Date.now() < end) {}'], {
    stdio: 'ignore',
  });
  children.push(hog);
  return hog;
}

describe.each([
  { workers: 2, hog: false },
  { workers: 2, hog: true },
  { workers: 3, hog: true },
])('$workers workers on one PostgreSQL queue, a core kept busy: $hog', ({ workers: count, hog }) => {
  it('share 2,000 deliveries and send none twice', async () => {
    const { api, caFile, receivers, publish } = await setUp('postgres', 10);
    await publish(200);
    if (hog) startCpuHog();
    // Leases of 10 s, renewed every third of that while an attempt runs: a job is sent twice only if
    // a worker stalls past its lease, which a busy core does not cause.
    const workers = await Promise.all(Array.from({ length: count }, () => startWorker(api, caFile, '10s')));
    await waitUntil(
      () => deliveryCounts(receivers).size === 2_000,
      150_000,
      () => `2,000 deliveries (${deliveryCounts(receivers).size})\n${logsOf(workers)}`,
    );
    // Once all have stopped (finishing what they had under way), no request can still be coming.
    await Promise.all(workers.map(stopWorker));
    const counts = deliveryCounts(receivers);
    expect(counts.size).toBe(2_000);
    expect([...counts.values()].filter((count) => count > 1)).toEqual([]);
    expect(await api.opened.store.queue.countUnfinished()).toBe(0);
  }, 240_000);
});
