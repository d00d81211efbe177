// `pnpm start`: migrate, then serve the API on PORT with SQLite in PIPAI_DATA_DIR, or PostgreSQL when
// DATABASE_URL is set. SIGTERM/SIGINT drain in-flight requests and exit. A process that cannot start
// (configuration, database, master key) says why in one line on stderr.
import type { AddressInfo } from 'node:net';
import { createDevCredentials, createProcessLogger, exitOnSignals, openDatabase, runProcess } from './bootstrap.ts';
import type { Config } from './config.ts';
import { createNetwork } from './net/network.ts';
import { createServices } from './services.ts';

/** How long requests (and the in-process worker's deliveries) may take to finish after a signal. */
const DRAIN_MS = 10_000;

async function main(config: Config) {
  const logger = createProcessLogger(config.logLevel);
  const { store, masterKey } = await openDatabase(config, logger);
  const network = createNetwork(config, logger);
  const { app, accounts, worker, retention } = createServices({
    store,
    masterKey,
    logger,
    ...network,
    workerPolicy: { brokenAfterMs: config.brokenAfterMs, leaseMs: config.deliveryLeaseMs },
    signatureWindowMs: config.signatureWindowMs,
    weightBudgetPerMinute: config.weightBudgetPerMinute,
    authFailuresPerMinute: config.authFailuresPerMinute,
    internalToken: config.internalToken,
    corsOrigins: config.corsOrigins,
  });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://localhost:${port}`;
  await createDevCredentials(config, store, accounts, baseUrl, logger);
  if (config.runWorker) {
    worker.start();
    retention.start();
  }
  // Before the ready line: whoever waits for it (a supervisor, a test) may signal at once.
  exitOnSignals(logger, DRAIN_MS, async (signal) => {
    logger.info({ signal }, 'shutting down: draining requests');
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    retention.stop();
    await worker.stop();
    await network.sender.close();
    await store.close();
    logger.info('stopped');
  });

  logger.info(
    {
      url: baseUrl,
      store: store.kind,
      data_dir: store.kind === 'sqlite' ? config.dataDir : undefined,
      worker: config.runWorker,
      // On the API's own port, unauthenticated like /healthz: keep it off the public load balancer.
      metrics_url: `${baseUrl}/metrics`,
    },
    'PipAI API listening',
  );
}

await runProcess(main);
