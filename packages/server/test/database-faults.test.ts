// PostgreSQL going away under running processes, as `pg_ctl stop -m fast` (an operator's restart)
// does it: idle pooled connections are terminated, new ones refused. Nothing may exit; the API
// answers 503 UNAVAILABLE while it lasts and recovers by itself, and the worker backs off, then
// delivers everything it was given, once. Each test runs its own PostgreSQL server, so stopping it
// leaves the run's shared one alone.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type HttpsEndpoint, startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';
import { createDatabase, type RunningPostgres, startPostgres } from '@pipai/testkit/postgres';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../src/crypto/secret-box.ts';
import { StoreUnavailableError } from '../src/domain/errors.ts';
import { createReadiness } from '../src/readiness.ts';
import { openPostgresStore } from '../src/store/store.ts';
import { MASTER_KEY } from './support/api.ts';
import {
  cleanEnv,
  type RunningProcess,
  runToExit,
  signedRequest,
  startApiProcess,
  startProcess,
  waitUntil,
} from './support/processes.ts';
import { deliveryCounts } from './support/waiting.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ownPostgres(): Promise<{ server: RunningPostgres; url: string }> {
  const server = await startPostgres();
  cleanups.push(() => server.stop());
  return { server, url: await createDatabase(server.url) };
}

function collectingLogger() {
  const lines: { msg: string }[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().trim().split('\n')) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  return { logger, lines };
}

describe('the PostgreSQL store while its server restarts', () => {
  it('survives its idle connections being terminated, throws StoreUnavailableError while down, and works again after', async () => {
    const { server, url } = await ownPostgres();
    const { logger, lines } = collectingLogger();
    const store = openPostgresStore(url, { logger });
    cleanups.push(() => store.close());
    await store.migrate();
    await store.accounts.ensure({ id: 'acct_a', name: 'a', createdAt: 1 });
    // Several idle connections in the pool, as a busy process has.
    await Promise.all(Array.from({ length: 5 }, () => store.accounts.findByName('a')));
    const readiness = createReadiness({ store, secrets: new SecretBox(MASTER_KEY), now: Date.now, logger });
    expect(await readiness()).toEqual([]);

    await server.halt('fast');
    // Without a pool error listener, the first terminated idle connection kills the process here.
    await waitUntil(
      () => lines.some((line) => line.msg === 'database connection lost; dropped from the pool'),
      10_000,
      'the pool to notice',
    );

    const single = await store.accounts.findByName('a').catch((error: unknown) => error);
    expect(single).toBeInstanceOf(StoreUnavailableError);
    expect((single as StoreUnavailableError).cause).toMatchObject({ code: 'ECONNREFUSED' });
    const inTransaction = await store.admission
      .spendWeight('key_a', 1, Date.now(), { windowMs: 60_000, budget: 10 })
      .catch((error: unknown) => error);
    expect(inTransaction).toBeInstanceOf(StoreUnavailableError);
    expect(await readiness()).toEqual(['database']);

    await server.resume();
    expect(await store.accounts.findByName('a')).toEqual({ id: 'acct_a', name: 'a', createdAt: 1 });
    expect(await store.admission.spendWeight('key_a', 1, Date.now(), { windowMs: 60_000, budget: 10 })).toMatchObject({
      admitted: true,
    });
    expect(await readiness()).toEqual([]);
  }, 60_000);
});

describe('a database server that accepts connections but never answers', () => {
  it('fails calls after the connect timeout with StoreUnavailableError instead of hanging them', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
    cleanups.push(() => {
      for (const socket of sockets) socket.destroy();
    });
    const store = openPostgresStore(`postgres://nobody@127.0.0.1:${(silent.address() as AddressInfo).port}/none`, {
      connectTimeoutMs: 200,
    });
    cleanups.push(() => store.close());
    for (const call of [
      () => store.accounts.findByName('a'),
      () => store.admission.spendWeight('key_a', 1, 0, { windowMs: 60_000, budget: 10 }),
    ]) {
      const error = await call().catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(/timeout/);
    }
  });
});

const occurrences = (text: string, what: string) => text.split(what).length - 1;

describe('an API process and a worker process while PostgreSQL restarts', () => {
  it('answer 503 UNAVAILABLE and back off while it is down, then recover and deliver every event once', async () => {
    const { server, url } = await ownPostgres();
    const dir = mkdtempSync(join(tmpdir(), 'pipai-faults-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, testCaPem);
    const env = cleanEnv({
      DATABASE_URL: url,
      PIPAI_MASTER_KEY: MASTER_KEY.toString('base64'),
      PIPAI_INTERNAL_TOKEN: 'faults-token',
      PIPAI_DEV_ALLOW_LOOPBACK: '1',
      NODE_EXTRA_CA_CERTS: caFile,
      LOG_LEVEL: 'info',
    });
    const processes: RunningProcess[] = [];
    cleanups.push(() => {
      for (const running of processes) running.child.kill('SIGKILL');
    });

    const api = await startApiProcess({ ...env, PIPAI_WORKER: 'off' });
    processes.push(api);
    const created = await runToExit('admin.ts', env, [
      'keys',
      'create',
      '--account',
      'acme',
      '--scopes',
      'webhooks:read,webhooks:write',
      '--json',
    ]);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout);

    // Slow receivers, so that deliveries are still under way when the database goes.
    const receivers: HttpsEndpoint[] = [];
    for (let index = 0; index < 3; index += 1) {
      const receiver = await startHttpsEndpoint(
        'valid',
        '127.0.0.1',
        () => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 100)),
      );
      cleanups.push(() => receiver.close());
      receivers.push(receiver);
      const webhook = await signedRequest(api.baseUrl, key, 'POST', '/v1/webhooks', {
        url: `https://127.0.0.1:${receiver.port}/hook`,
        events: ['*'],
      });
      expect(webhook.status).toBe(201);
    }
    const publish = () =>
      fetch(`${api.baseUrl}/internal/v1/events`, {
        method: 'POST',
        headers: { authorization: 'Bearer faults-token', 'content-type': 'application/json' },
        body: JSON.stringify({
          account: 'acme',
          type: 'account.api_key_rotated',
          data: { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' },
        }),
      });
    const eventCount = 40;
    for (let index = 0; index < eventCount; index += 1) expect((await publish()).status).toBe(202);
    const total = receivers.length * eventCount;

    const worker = startProcess('worker.ts', { ...env, LOG_LEVEL: 'debug' });
    processes.push(worker);
    await worker.waitFor(/PipAI delivery worker running/);
    await waitUntil(() => deliveryCounts(receivers).size >= 10, 30_000, 'the first deliveries');

    await server.halt('fast');
    const deliveredBeforeRestart = deliveryCounts(receivers).size;
    expect(deliveredBeforeRestart).toBeLessThan(total);

    // The API: signed calls, internal calls, readiness all say "unavailable"; liveness still answers.
    const listed = await signedRequest(api.baseUrl, key, 'GET', '/v1/webhooks');
    expect(listed.status).toBe(503);
    expect(listed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(listed.headers.get('retry-after')).toBe('5');
    expect(listed.body).toMatchObject({ status: 503, code: 'UNAVAILABLE' });
    const published = await publish();
    expect(published.status).toBe(503);
    expect(await published.json()).toMatchObject({ code: 'UNAVAILABLE' });
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
    const readyz = await fetch(`${api.baseUrl}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toEqual({ status: 'unavailable', failing: ['database'] });
    await worker.waitFor(/database unreachable: deliveries paused/);
    // The worker's claims back off: each wait twice the last, up to the cap, where they stay.
    const claimBackoffs = () =>
      worker
        .output()
        .split('\n')
        .filter((line) => line.includes('database still unreachable') && line.includes('"operation":"claim"'))
        .map((line) => JSON.parse(line).backoff_ms as number);
    await waitUntil(
      () => claimBackoffs().filter((ms) => ms === 5_000).length >= 2,
      60_000,
      'claims to back off to the cap',
    );
    const backoffs = claimBackoffs();
    for (const [index, ms] of backoffs.slice(1).entries()) expect(ms).toBe(Math.min(5_000, backoffs[index]! * 2));
    expect(backoffs[0]).toBeLessThanOrEqual(500);

    await server.resume();
    await waitUntil(
      async () => (await signedRequest(api.baseUrl, key, 'GET', '/v1/webhooks')).status === 200,
      30_000,
      'the API to recover',
    );
    expect((await fetch(`${api.baseUrl}/readyz`)).status).toBe(200);
    await waitUntil(() => deliveryCounts(receivers).size === total, 60_000, `all ${total} deliveries`);
    await worker.waitFor(/database reachable again: deliveries resumed/);

    // Exactly once: outcomes sent during the outage were recorded afterwards, not sent again.
    const counts = deliveryCounts(receivers);
    expect([...counts.values()].filter((count) => count !== 1)).toEqual([]);
    const store = openPostgresStore(url);
    cleanups.push(() => store.close());
    await waitUntil(async () => (await store.queue.countUnfinished()) === 0, 30_000, 'every job to finish');

    // Nobody exited, and the worker said so once for the one outage rather than at every poll.
    expect(api.child.exitCode).toBeNull();
    expect(worker.child.exitCode).toBeNull();
    expect(occurrences(worker.output(), 'database unreachable: deliveries paused')).toBe(1);
    expect(occurrences(worker.output(), 'database reachable again: deliveries resumed')).toBe(1);
    for (const running of processes) expect(running.output()).not.toMatch(/Unhandled|uncaught/i);
  }, 180_000);
});
