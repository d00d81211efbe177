// `pnpm worker`: the delivery worker alone, for deployments that scale it apart from the API.
// Any number of these can share one PostgreSQL database; SIGTERM/SIGINT finish the deliveries under
// way. While the database is unreachable it waits (backing off) rather than exiting. With
// PIPAI_WORKER_METRICS_PORT set it serves GET /metrics on HOST at that port.
import type { Server } from 'node:http';
import { createProcessLogger, exitOnSignals, listenFailure, openDatabase, runProcess } from './bootstrap.ts';
import type { Config } from './config.ts';
import { systemClock } from './domain/clock.ts';
import { DeliveryWorker } from './domain/delivery-worker.ts';
import { Retention } from './domain/retention.ts';
import { Metrics, serveMetrics } from './metrics.ts';
import { createNetwork } from './net/network.ts';

/** Longer than one delivery attempt may take (the sender's 15 s timeout), with its completion. */
const DRAIN_MS = 20_000;

/** How to reach host:port from this machine, for the log line. */
function urlOf(host: string, port: number, path: string): string {
  const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}${path}`;
}

async function main(config: Config) {
  const logger = createProcessLogger(config.logLevel);
  const { store, secrets } = await openDatabase(config, logger);
  const network = createNetwork(config, logger);
  const metrics = new Metrics({ queue: store.queue, now: () => systemClock.now(), logger });
  // Only what delivering needs: no HTTP app, no validator (a worker-only process stays small).
  const worker = new DeliveryWorker({
    queue: store.queue,
    secrets,
    sender: network.sender,
    clock: systemClock,
    logger,
    policy: { brokenAfterMs: config.brokenAfterMs, leaseMs: config.deliveryLeaseMs },
    observer: metrics,
  });
  let metricsServer: Server | undefined;
  let metricsUrl: string | undefined;
  if (config.workerMetricsPort !== undefined) {
    // Before the first claim: a port that cannot be had stops the worker before it delivers anything.
    const served = await serveMetrics(metrics, config.workerMetricsPort, config.host).catch(async (error: unknown) => {
      await network.sender.close();
      await store.close();
      throw listenFailure(error, 'PIPAI_WORKER_METRICS_PORT', config.host, config.workerMetricsPort!);
    });
    metricsServer = served.server;
    metricsUrl = urlOf(config.host, served.port, '/metrics');
  }
  worker.start();
  const retention = new Retention({ store: store.retention, clock: systemClock, logger });
  retention.start();
  // Before the ready line: whoever waits for it (a supervisor, a test) may signal at once.
  exitOnSignals(logger, DRAIN_MS, async (signal) => {
    logger.info({ signal }, 'worker stopping: finishing deliveries under way');
    retention.stop();
    await worker.stop();
    // Scrapes are answered while the deliveries finish; closed once they have.
    if (metricsServer) {
      const closed = new Promise((resolve) => metricsServer.close(resolve));
      metricsServer.closeAllConnections();
      await closed;
    }
    await network.sender.close();
    await store.close();
    logger.info('worker stopped');
  });

  logger.info(
    { store: store.kind, pid: process.pid, metrics_url: metricsUrl ?? 'off' },
    'PipAI delivery worker running',
  );
}

await runProcess(main);
