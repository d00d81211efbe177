// `pnpm start`: migrate, then serve the API on PORT with SQLite in PIPAI_DATA_DIR, or PostgreSQL when
// DATABASE_URL is set. SIGTERM drains in-flight requests and exits.
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createDevCredentials, resolveMasterKey } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { createNetwork } from './network.ts';
import { createServices } from './services.ts';
import { openStore } from './store/open-store.ts';

const config = loadConfig();
const logger = pino({ level: config.logLevel });

async function main() {
  const masterKey = resolveMasterKey(config, logger);
  const store = openStore(config);
  await store.migrate();
  const network = createNetwork(config, logger);
  const { app, accounts, worker } = createServices({
    store,
    masterKey,
    logger,
    ...network,
    workerPolicy: { brokenAfterMs: config.brokenAfterMs, leaseMs: config.deliveryLeaseMs },
    signatureWindowMs: config.signatureWindowMs,
    weightBudgetPerMinute: config.weightBudgetPerMinute,
    internalToken: config.internalToken,
  });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://localhost:${port}`;
  await createDevCredentials(config, store, accounts, baseUrl, logger);
  if (config.runWorker) worker.start();
  logger.info(
    { url: baseUrl, store: store.kind, data_dir: store.kind === 'sqlite' ? config.dataDir : undefined, worker: config.runWorker },
    'PipAI API listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      logger.error('requests still open after 10 s; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    server.close(async () => {
      await worker.stop();
      await network.sender.close();
      await store.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: Error) => {
  logger.fatal({ err: error }, `cannot start: ${error.message}`);
  process.exit(1);
});
