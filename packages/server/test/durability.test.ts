// Durability with real processes: a worker killed with SIGKILL mid-batch loses nothing once another
// starts; two workers on one PostgreSQL queue share 2,000 deliveries without sending any twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHttpsEndpoint, testCaPem, type HttpsEndpoint } from '@pipai/testkit/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { MASTER_KEY, startTestApi, type TestApi } from './support/api.ts';
import { STORE_KINDS } from './support/stores.ts';

const WORKER = fileURLToPath(new URL('../src/worker.ts', import.meta.url));
const children: ChildProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function startWorker(api: TestApi, caFile: string): Promise<ChildProcess> {
  const location = api.opened.location;
  const env = {
    ...process.env,
    ...(api.opened.store.kind === 'postgres' ? { DATABASE_URL: location } : { PIPAI_DATA_DIR: dirname(location) }),
    PIPAI_MASTER_KEY: MASTER_KEY.toString('base64'),
    PIPAI_DEV_ALLOW_LOOPBACK: '1',
    NODE_EXTRA_CA_CERTS: caFile,
    PIPAI_DELIVERY_LEASE: '2s',
    LOG_LEVEL: 'info',
  };
  const child = spawn(process.execPath, [WORKER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const started = Date.now();
  while (!output.includes('PipAI delivery worker running')) {
    if (Date.now() - started > 15_000 || child.exitCode !== null) throw new Error(`worker did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return child;
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string) {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every (webhook, event) pair the receivers saw, with how many times. */
function deliveryCounts(receivers: HttpsEndpoint[]): Map<string, number> {
  const counts = new Map<string, number>();
  receivers.forEach((receiver, index) => {
    for (const request of receiver.received) {
      const pair = `${index}:${String(request.headers['webhook-id'])}`;
      counts.set(pair, (counts.get(pair) ?? 0) + 1);
    }
  });
  return counts;
}

async function setUp(kind: 'sqlite' | 'postgres', webhookCount: number, responder?: Parameters<typeof startHttpsEndpoint>[2]) {
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
    const created = await api.request(key, 'POST', '/v1/webhooks', { url: `https://127.0.0.1:${receiver.port}/hook`, events: ['*'] });
    expect(created.status).toBe(201);
  }
  const accountId = (await api.opened.store.findApiKey(key.api_key))!.accountId;
  const publish = async (count: number) => {
    const data = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };
    for (let start = 0; start < count; start += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, count - start) }, () => api.services.events.publishToAccount(accountId, 'account.api_key_rotated', data)),
      );
    }
  };
  return { api, caFile, receivers, publish };
}

describe.each(STORE_KINDS)('a worker killed mid-batch on %s', (kind) => {
  it('loses no event: a restarted worker delivers everything, repeats only what was in flight', async () => {
    // Slow receivers, so that the kill lands while deliveries are under way.
    const { api, caFile, receivers, publish } = await setUp(kind, 5, () => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 15)));
    await publish(40);
    const total = 5 * 40;
    const first = await startWorker(api, caFile);
    await waitUntil(() => deliveryCounts(receivers).size >= 40, 20_000, 'the first deliveries');
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const beforeRestart = deliveryCounts(receivers).size;
    expect(beforeRestart).toBeLessThan(total);

    await startWorker(api, caFile);
    await waitUntil(() => deliveryCounts(receivers).size === total, 30_000, 'every delivery');
    const counts = deliveryCounts(receivers);
    expect(counts.size).toBe(total);
    const repeats = [...counts.values()].filter((count) => count > 1).length;
    // At-least-once: only deliveries the killed worker had in flight may arrive twice.
    expect(repeats).toBeLessThanOrEqual(64);
    // The restarted worker also finishes the jobs whose lease the killed one held.
    let unfinished = -1;
    const started = Date.now();
    while (unfinished !== 0 && Date.now() - started < 10_000) {
      unfinished = await api.opened.store.countUnfinishedDeliveries();
      if (unfinished !== 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(unfinished).toBe(0);
  }, 90_000);
});

describe('two workers on one PostgreSQL queue', () => {
  it('share 2,000 deliveries and send none twice', async () => {
    const { api, caFile, receivers, publish } = await setUp('postgres', 10);
    await publish(200);
    await Promise.all([startWorker(api, caFile), startWorker(api, caFile)]);
    await waitUntil(() => deliveryCounts(receivers).size === 2_000, 60_000, '2,000 deliveries');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const counts = deliveryCounts(receivers);
    expect(counts.size).toBe(2_000);
    expect([...counts.values()].filter((count) => count > 1)).toEqual([]);
    expect(await api.opened.store.countUnfinishedDeliveries()).toBe(0);
  }, 120_000);
});
