// Prometheus metrics of one process role (the API app, or a `pnpm worker`): HTTP requests by
// operation, delivery attempts by outcome, and the delivery queue read from the store when scraped.
// Each instance has its own registry, so several can live in one process (tests, embedded servers).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptObservation, DeliveryObserver } from './domain/delivery-worker.ts';
import type { DeliveryQueue, QueueStats } from './domain/ports.ts';
import type { RequestObserver } from './http/request-context.ts';

/** API answers take milliseconds; the top buckets catch a slow database. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Up to the delivery sender's 15 s timeout, so timed-out attempts land in their own bucket. */
const ATTEMPT_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20];

let processRegistry: Registry | undefined;

/**
 * prom-client's process metrics (CPU, memory, event loop, GC), once per process: they describe the
 * process, not a registry, and collecting them starts monitors that are never stopped. Made at the
 * first scrape, so processes and tests that are never scraped do not run those monitors.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export interface MetricsOptions {
  /** The queue the gauges describe, read on each scrape. */
  queue: Pick<DeliveryQueue, 'stats'>;
  /** The clock the queue is judged by (the services' clock, so that tests can move it). */
  now: () => number;
  logger?: Logger;
}

export class Metrics implements RequestObserver, DeliveryObserver {
  readonly #own = new Registry();
  #scraped: Registry | undefined;
  readonly #requests: Counter<'operation' | 'status'>;
  readonly #requestDuration: Histogram<'operation'>;
  readonly #deliveries: Counter<'outcome' | 'error_class'>;
  readonly #attemptDuration: Histogram<'outcome'>;
  readonly #queueSource: Pick<DeliveryQueue, 'stats'>;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;
  /** The queue read of the scrape under way, shared by the three gauges it feeds. */
  #queue: Promise<QueueStats | undefined> | undefined;

  constructor(options: MetricsOptions) {
    this.#queueSource = options.queue;
    this.#now = options.now;
    this.#logger = options.logger;
    const registers = [this.#own];
    this.#requests = new Counter({
      name: 'pipai_http_requests_total',
      help: 'API requests answered, by operationId (unmatched: no operation) and status code.',
      labelNames: ['operation', 'status'],
      registers,
    });
    this.#requestDuration = new Histogram({
      name: 'pipai_http_request_duration_seconds',
      help: 'Time from receiving an API request to finishing its answer, by operationId.',
      labelNames: ['operation'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.#deliveries = new Counter({
      name: 'pipai_deliveries_total',
      help: 'Delivery attempts made by this process, by outcome and error class (none when it succeeded).',
      labelNames: ['outcome', 'error_class'],
      registers,
    });
    this.#attemptDuration = new Histogram({
      name: 'pipai_delivery_attempt_duration_seconds',
      help: 'Time a delivery attempt took to be answered or to fail, by outcome.',
      labelNames: ['outcome'],
      buckets: ATTEMPT_BUCKETS,
      registers,
    });
    // The queue belongs to the database: every process sharing it reports the same values.
    const queue = () => this.#queueStats();
    new Gauge({
      name: 'pipai_delivery_queue_due_jobs',
      help: 'Delivery jobs due now and waiting for a worker (NaN while the database is unreachable).',
      registers,
      async collect() {
        const stats = await queue();
        this.set(stats ? stats.due : NaN);
      },
    });
    const now = this.#now;
    new Gauge({
      name: 'pipai_delivery_queue_oldest_due_age_seconds',
      help: 'How long the oldest due delivery job has been waiting; 0 when none is due.',
      registers,
      async collect() {
        const stats = await queue();
        this.set(!stats ? NaN : stats.oldestDueAt === null ? 0 : Math.max(0, now() - stats.oldestDueAt) / 1000);
      },
    });
    new Gauge({
      name: 'pipai_delivery_in_flight',
      help: 'Delivery jobs under an unexpired lease (being attempted by some worker), by account id.',
      labelNames: ['account'],
      registers,
      async collect() {
        const stats = await queue();
        // Accounts with nothing in flight disappear rather than linger at their last value.
        this.reset();
        for (const [account, count] of Object.entries(stats?.inFlightByAccount ?? {})) this.set({ account }, count);
      },
    });
  }

  /** This instance's metrics and the process metrics, as one scrape serves them. */
  get registry(): Registry {
    this.#scraped ??= Registry.merge([this.#own, processMetrics()]);
    return this.#scraped;
  }

  requestFinished(operation: string, status: number, seconds: number): void {
    this.#requests.inc({ operation, status: String(status) });
    this.#requestDuration.observe({ operation }, seconds);
  }

  attempted(observation: AttemptObservation): void {
    // Only the bounded fields: ids and URLs would make a series per webhook.
    this.#deliveries.inc({ outcome: observation.outcome, error_class: observation.errorClass ?? 'none' });
    this.#attemptDuration.observe({ outcome: observation.outcome }, observation.latencyMs / 1000);
  }

  #queueStats(): Promise<QueueStats | undefined> {
    this.#queue ??= this.#queueSource
      .stats(this.#now())
      .catch((error: unknown) => {
        // A scrape during an outage still answers, with the queue unknown; the worker logs the outage.
        this.#logger?.debug({ err: error }, 'metrics: the delivery queue could not be read');
        return undefined;
      })
      .finally(() => {
        this.#queue = undefined;
      });
    return this.#queue;
  }

  /** GET /metrics: the text exposition. Usable as an Express handler and by a plain node:http server. */
  readonly handler = (_req: IncomingMessage, res: ServerResponse): void => {
    this.registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': this.registry.contentType, 'Cache-Control': 'no-store' }).end(text);
      },
      (error: unknown) => {
        this.#logger?.error({ err: error }, 'metrics: the scrape failed');
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  };
}

/**
 * A server for `GET /metrics` alone (`pnpm worker`, which has no HTTP app), listening on host:port;
 * port 0 picks a free one. Rejects with the listen error (a port taken or forbidden).
 */
export async function serveMetrics(
  metrics: Metrics,
  port: number,
  host: string,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: GET /metrics\n');
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
    } else {
      metrics.handler(req, res);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
