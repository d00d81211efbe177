// Prometheus metrics as a scraper sees them: GET /metrics on the API app and on `pnpm worker`, the
// text exposition parsed here, exact counter values per label set, the queue gauges read from the
// store at scrape time, and no label that names a webhook, a URL or a secret. Real HTTP on loopback,
// real HTTPS receivers (a test CA), both stores.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type HttpsEndpoint, startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { type Credentials, INTERNAL_TOKEN, MASTER_KEY, startTestApi, type TestApi } from './support/api.ts';
import { tickingClock } from './support/clock.ts';
import { cleanEnv, runToExit, startProcess, waitUntil } from './support/processes.ts';
import { STORE_KINDS } from './support/stores.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * The Prometheus text format (version 0.0.4): comment lines, and `name{label="value",...} value`
 * with \\, \" and \n escaped in label values (prom-client has no parser of its own). Anything else
 * is a failure, so the whole exposition is checked, not only the lines looked at.
 */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!head) throw new Error(`not a sample: ${line}`);
    const name = head[1]!;
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)",?/.exec(rest);
        if (!label) throw new Error(`bad labels in: ${line}`);
        labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
        rest = rest.slice(label[0].length);
      }
      rest = rest.slice(1);
    }
    // Prometheus reads values as Go's ParseFloat does, NaN in any case (prom-client writes `Nan`).
    const value = /^ ((?:nan)|[+-]Inf|[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)(?: -?\d+)?$/i.exec(rest);
    if (!value) throw new Error(`bad value in: ${line}`);
    const number =
      value[1]!.toLowerCase() === 'nan'
        ? NaN
        : value[1] === '+Inf'
          ? Infinity
          : value[1] === '-Inf'
            ? -Infinity
            : Number(value[1]);
    samples.push({ name, labels, value: number });
  }
  return { samples, types };
}

interface Scrape {
  text: string;
  samples: Sample[];
  types: Map<string, string>;
  /** The series of `name`, as label sets (JSON, keys sorted) to values. */
  series(name: string): Record<string, number>;
  /** The one sample of `name` whose labels are exactly `labels`. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const labelKey = (labels: Record<string, string>) =>
  JSON.stringify(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b))));

async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const text = await response.text();
  const { samples, types } = parseExposition(text);
  const series = (name: string) =>
    Object.fromEntries(
      samples.filter((sample) => sample.name === name).map((sample) => [labelKey(sample.labels), sample.value]),
    );
  return { text, samples, types, series, value: (name, labels = {}) => series(name)[labelKey(labels)] };
}

/** Label values pipai_* metrics may carry: operationIds, status codes, outcomes, error classes, account ids, bucket bounds. */
function expectBoundedLabels(result: Scrape, forbidden: string[]) {
  const allowed: Record<string, RegExp> = {
    operation: /^([a-z][A-Za-z]*|unmatched)$/,
    status: /^[1-5]\d\d$/,
    outcome: /^(succeeded|failed|lease_lost|webhook_deleted)$/,
    error_class: /^(none|http|timeout|tls|dns|connection|blocked_address)$/,
    account: /^acct_[0-9a-f]{16}$/,
    le: /^(\+Inf|\d+(\.\d+)?(e[-+]?\d+)?)$/,
  };
  for (const sample of result.samples.filter((each) => each.name.startsWith('pipai_'))) {
    for (const [name, value] of Object.entries(sample.labels)) {
      expect(Object.keys(allowed), `${sample.name} label ${name}`).toContain(name);
      expect(value, `${sample.name}{${name}}`).toMatch(allowed[name]!);
    }
  }
  for (const text of forbidden) expect(result.text).not.toContain(text);
}

const keyRotated = { api_key: 'key_3030fbb9aa81b653', action: 'rotated', occurred_at: '2026-11-22T12:00:00Z' };
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each(STORE_KINDS)('GET /metrics of the API on %s', (kind) => {
  /** A clock the test moves; every reading advances it a millisecond, so signed requests never repeat. */
  const clock = tickingClock();

  async function started(options: Parameters<typeof startTestApi>[1] = {}): Promise<TestApi> {
    const api = await startTestApi(kind, { clock, workerPolicy: { random: () => 0.5 }, ...options });
    cleanups.push(() => api.close());
    return api;
  }
  async function endpoint(responder?: Parameters<typeof startHttpsEndpoint>[2]): Promise<HttpsEndpoint> {
    const created = await startHttpsEndpoint('valid', 'hooks.test', responder);
    cleanups.push(() => created.close());
    return created;
  }
  async function register(api: TestApi, owner: Credentials, target: HttpsEndpoint) {
    const created = await api.request(owner, 'POST', '/v1/webhooks', {
      url: `https://hooks.test:${target.port}/hook`,
      events: ['*'],
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; url: string; secret: string };
  }
  const accountIdOf = async (api: TestApi, name: string) =>
    (await api.opened.store.accounts.listKeys(name))[0]!.accountId;

  it('counts requests by operationId and status, with their latencies; probes and scrapes are not counted', async () => {
    const api = await started();
    const owner = await api.issueKey('metrics-http');
    expect((await api.request(owner, 'GET', '/v1/webhooks')).status).toBe(200);
    expect((await api.request(owner, 'GET', '/v1/webhooks?limit=50')).status).toBe(200);
    expect((await api.request(owner, 'GET', '/v1/webhooks?limit=0x10')).status).toBe(400);
    expect((await api.request(owner, 'GET', '/v1/webhooks', undefined, { secret: 'sk_not-the-secret' })).status).toBe(
      401,
    );
    expect((await api.request(owner, 'GET', '/v1/webhooks/wh_00000000')).status).toBe(404);
    expect((await api.request(owner, 'GET', '/v1/webhooks/')).status).toBe(404);
    expect(
      (await api.publish({ account: owner.account, type: 'account.api_key_rotated', data: keyRotated }, 'wrong-token'))
        .status,
    ).toBe(401);
    expect((await fetch(`${api.baseUrl}/healthz`)).status).toBe(200);
    await scrape(`${api.baseUrl}/metrics`);

    const result = await scrape(`${api.baseUrl}/metrics`);
    expect(result.types.get('pipai_http_requests_total')).toBe('counter');
    expect(result.types.get('pipai_http_request_duration_seconds')).toBe('histogram');
    expect(result.series('pipai_http_requests_total')).toEqual({
      [labelKey({ operation: 'listWebhooks', status: '200' })]: 2,
      [labelKey({ operation: 'listWebhooks', status: '400' })]: 1,
      [labelKey({ operation: 'listWebhooks', status: '401' })]: 1,
      [labelKey({ operation: 'getWebhook', status: '404' })]: 1,
      [labelKey({ operation: 'unmatched', status: '404' })]: 1,
      [labelKey({ operation: 'publishEvent', status: '401' })]: 1,
    });
    expect(result.series('pipai_http_request_duration_seconds_count')).toEqual({
      [labelKey({ operation: 'listWebhooks' })]: 4,
      [labelKey({ operation: 'getWebhook' })]: 1,
      [labelKey({ operation: 'unmatched' })]: 1,
      [labelKey({ operation: 'publishEvent' })]: 1,
    });
    // Cumulative buckets: never decreasing, and +Inf holds every request.
    const buckets = result.samples.filter(
      (sample) =>
        sample.name === 'pipai_http_request_duration_seconds_bucket' && sample.labels.operation === 'listWebhooks',
    );
    expect(buckets.map((sample) => sample.value)).toEqual(
      [...buckets.map((sample) => sample.value)].sort((a, b) => a - b),
    );
    expect(buckets.at(-1)).toEqual({
      name: 'pipai_http_request_duration_seconds_bucket',
      labels: { operation: 'listWebhooks', le: '+Inf' },
      value: 4,
    });
    expect(result.value('pipai_http_request_duration_seconds_sum', { operation: 'listWebhooks' })).toBeGreaterThan(0);
    // prom-client's process metrics come with every scrape.
    expect(result.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(result.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expectBoundedLabels(result, [
      owner.api_key,
      owner.api_secret,
      'wh_00000000',
      '/v1/',
      'sk_not-the-secret',
      INTERNAL_TOKEN,
    ]);
  });

  it('reports the due queue from the store on each scrape, then counts the attempts by outcome and error class', async () => {
    const api = await started();
    const owner = await api.issueKey('metrics-deliveries');
    const ok = await endpoint();
    const failing = await endpoint(() => ({ status: 500 }));
    const refusing = await endpoint();
    const webhooks = [
      await register(api, owner, ok),
      await register(api, owner, failing),
      await register(api, owner, refusing),
    ];
    // Registered while it answered; its port refuses connections from now on.
    await refusing.close();

    const before = await scrape(`${api.baseUrl}/metrics`);
    expect(before.value('pipai_delivery_queue_due_jobs')).toBe(0);
    expect(before.value('pipai_delivery_queue_oldest_due_age_seconds')).toBe(0);
    expect(before.series('pipai_deliveries_total')).toEqual({});

    const published = await api.publish({ account: owner.account, type: 'account.api_key_rotated', data: keyRotated });
    expect(published.status).toBe(202);
    // Nothing delivers yet (the worker is not started): ten minutes later all three jobs still wait.
    clock.time += 600_000;
    const waiting = await scrape(`${api.baseUrl}/metrics`);
    expect(waiting.value('pipai_delivery_queue_due_jobs')).toBe(3);
    expect(waiting.value('pipai_delivery_queue_oldest_due_age_seconds')).toBeGreaterThanOrEqual(600);
    expect(waiting.value('pipai_delivery_queue_oldest_due_age_seconds')).toBeLessThan(601);
    expect(waiting.series('pipai_delivery_in_flight')).toEqual({});

    expect(await api.services.worker.runDue()).toBe(3);
    const delivered = await scrape(`${api.baseUrl}/metrics`);
    expect(delivered.series('pipai_deliveries_total')).toEqual({
      [labelKey({ outcome: 'succeeded', error_class: 'none' })]: 1,
      [labelKey({ outcome: 'failed', error_class: 'http' })]: 1,
      [labelKey({ outcome: 'failed', error_class: 'connection' })]: 1,
    });
    expect(delivered.series('pipai_delivery_attempt_duration_seconds_count')).toEqual({
      [labelKey({ outcome: 'succeeded' })]: 1,
      [labelKey({ outcome: 'failed' })]: 2,
    });
    expect(delivered.value('pipai_delivery_attempt_duration_seconds_bucket', { outcome: 'failed', le: '+Inf' })).toBe(
      2,
    );
    // The two failures wait for their retry (seconds away on this clock): nothing is due.
    expect(delivered.value('pipai_delivery_queue_due_jobs')).toBe(0);
    expect(delivered.value('pipai_delivery_queue_oldest_due_age_seconds')).toBe(0);
    expect(ok.received).toHaveLength(1);
    expectBoundedLabels(delivered, [
      'hooks.test',
      'https://',
      owner.api_secret,
      published.body.events[0].id,
      ...webhooks.flatMap((webhook) => [webhook.id, webhook.secret, webhook.url]),
    ]);
  });

  it('reports the jobs in flight per account id while a worker holds them', async () => {
    const api = await started({ deliveryTimeoutMs: 10 * 60_000 });
    const busy = await api.issueKey('metrics-busy');
    const idle = await api.issueKey('metrics-idle');
    // Never answers until it is closed: the attempts stay in flight for as long as the test looks.
    const hanging = await endpoint(() => 'hang');
    const webhook = await register(api, busy, hanging);
    await register(api, idle, await endpoint());
    for (let index = 0; index < 2; index += 1) {
      expect(
        (await api.publish({ account: busy.account, type: 'account.api_key_rotated', data: keyRotated })).status,
      ).toBe(202);
    }
    api.services.worker.start();
    await waitUntil(() => hanging.received.length === 2, 20_000, 'both attempts to reach the endpoint');

    const result = await scrape(`${api.baseUrl}/metrics`);
    expect(result.series('pipai_delivery_in_flight')).toEqual({
      [labelKey({ account: await accountIdOf(api, busy.account) })]: 2,
    });
    expect(result.value('pipai_delivery_queue_due_jobs')).toBe(0);
    expect(result.series('pipai_deliveries_total')).toEqual({});
    expectBoundedLabels(result, [webhook.id, webhook.url, webhook.secret, busy.account, idle.account]);
    // Closing the endpoint ends the attempts, so the worker can stop.
    await hanging.close();
  });
});

describe('GET /metrics while the database cannot be read', () => {
  it('still answers: the queue gauges are NaN (unknown, not zero) and the counters are kept', async () => {
    const api = await startTestApi('sqlite');
    cleanups.push(() => api.close());
    const owner = await api.issueKey('metrics-outage');
    expect((await api.request(owner, 'GET', '/v1/webhooks')).status).toBe(200);
    await api.opened.store.close();
    const result = await scrape(`${api.baseUrl}/metrics`);
    expect(result.value('pipai_delivery_queue_due_jobs')).toBeNaN();
    expect(result.value('pipai_delivery_queue_oldest_due_age_seconds')).toBeNaN();
    expect(result.series('pipai_delivery_in_flight')).toEqual({});
    expect(result.value('pipai_http_requests_total', { operation: 'listWebhooks', status: '200' })).toBe(1);
  });
});

describe('PIPAI_WORKER_METRICS_PORT', () => {
  it('is off unless set; 0 picks a free port; anything but off or a port is refused in one line', () => {
    expect(loadConfig({}).workerMetricsPort).toBeUndefined();
    expect(loadConfig({ PIPAI_WORKER_METRICS_PORT: 'off' }).workerMetricsPort).toBeUndefined();
    expect(loadConfig({ PIPAI_WORKER_METRICS_PORT: '0' }).workerMetricsPort).toBe(0);
    expect(loadConfig({ PIPAI_WORKER_METRICS_PORT: '9465' }).workerMetricsPort).toBe(9465);
    for (const raw of ['on', '65536', '1e3', '-1', ' 9465']) {
      expect(() => loadConfig({ PIPAI_WORKER_METRICS_PORT: raw })).toThrow(
        new ConfigError(
          `PIPAI_WORKER_METRICS_PORT must be off or an integer from 0 to 65535, got ${JSON.stringify(raw)}`,
        ),
      );
    }
  });

  it('pnpm worker with a bad value exits 2 with one line, before anything runs', async () => {
    const result = await runToExit('worker.ts', cleanEnv({ PIPAI_WORKER_METRICS_PORT: 'metrics' }));
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: 'cannot start: PIPAI_WORKER_METRICS_PORT must be off or an integer from 0 to 65535, got "metrics"\n',
    });
  });

  it('pnpm worker whose metrics port is taken exits 1 naming the variable, not PORT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipai-metrics-port-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await new Promise((resolve) => taken.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });
    const port = (taken.address() as AddressInfo).port;
    const result = await runToExit(
      'worker.ts',
      cleanEnv({
        PIPAI_DATA_DIR: dir,
        HOST: '127.0.0.1',
        PIPAI_WORKER_METRICS_PORT: String(port),
        LOG_LEVEL: 'silent',
      }),
    );
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr: `cannot start: PIPAI_WORKER_METRICS_PORT ${port} is already in use on 127.0.0.1\n`,
    });
  });

  it('pnpm worker serves GET /metrics on the port it logs: its deliveries, the queue and the process', async () => {
    const api = await startTestApi('sqlite');
    cleanups.push(() => api.close());
    const receiver = await startHttpsEndpoint('valid', '127.0.0.1');
    cleanups.push(() => receiver.close());
    const dir = mkdtempSync(join(tmpdir(), 'pipai-worker-metrics-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, testCaPem);
    const owner = await api.issueKey('metrics-worker');
    const created = await api.request(owner, 'POST', '/v1/webhooks', {
      url: `https://127.0.0.1:${receiver.port}/hook`,
      events: ['*'],
    });
    expect(created.status).toBe(201);
    expect(
      (await api.publish({ account: owner.account, type: 'account.api_key_rotated', data: keyRotated })).status,
    ).toBe(202);

    const worker = startProcess(
      'worker.ts',
      cleanEnv({
        PIPAI_DATA_DIR: dirname(api.opened.location),
        PIPAI_MASTER_KEY: MASTER_KEY.toString('base64'),
        PIPAI_DEV_ALLOW_LOOPBACK: '1',
        NODE_EXTRA_CA_CERTS: caFile,
        HOST: '127.0.0.1',
        PIPAI_WORKER_METRICS_PORT: '0',
        LOG_LEVEL: 'info',
      }),
    );
    cleanups.push(async () => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    });
    const [, url] = await worker.waitFor(
      /"metrics_url":"(http:\/\/127\.0\.0\.1:\d+\/metrics)"[^\n]*PipAI delivery worker running/,
    );

    // The counter moves once the outcome is recorded, a moment after the receiver has the delivery.
    let result = await scrape(url!);
    await waitUntil(
      async () => {
        result = await scrape(url!);
        return result.value('pipai_deliveries_total', { outcome: 'succeeded', error_class: 'none' }) === 1;
      },
      20_000,
      'the delivery to be counted',
    );
    expect(receiver.received).toHaveLength(1);
    expect(result.series('pipai_deliveries_total')).toEqual({
      [labelKey({ outcome: 'succeeded', error_class: 'none' })]: 1,
    });
    expect(result.value('pipai_delivery_attempt_duration_seconds_count', { outcome: 'succeeded' })).toBe(1);
    expect(result.value('pipai_delivery_queue_due_jobs')).toBe(0);
    // A worker answers no API requests: the HTTP metrics are declared, with no series.
    expect(result.series('pipai_http_requests_total')).toEqual({});
    expect(result.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(result.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expectBoundedLabels(result, [created.body.id, created.body.url, created.body.secret, owner.api_secret]);
    expect((await fetch(url!.replace('/metrics', '/healthz'))).status).toBe(404);

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });
});
