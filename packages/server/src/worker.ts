// `pnpm worker`: the delivery worker alone, for deployments that scale it apart from the API.
// Any number of these can share one PostgreSQL database; SIGTERM/SIGINT finish the deliveries under
// way. While the database is unreachable it waits (backing off) rather than exiting.
import { createProcessLogger, exitCannotStart, exitOnSignals, openDatabase } from './bootstrap.ts';
import { loadConfig, type Config } from './config.ts';
import { systemClock } from './domain/clock.ts';
import { DeliveryWorker } from './domain/delivery-worker.ts';
import { createNetwork } from './network.ts';

/** Longer than one delivery attempt may take (the sender's 15 s timeout), with its completion. */
const DRAIN_MS = 20_000;

async function main(config: Config) {
  const logger = createProcessLogger(config.logLevel);
  const { store, secrets } = await openDatabase(config, logger);
  const network = createNetwork(config, logger);
  // Only what delivering needs: no HTTP app, no validator (a worker-only process stays small).
  const worker = new DeliveryWorker({
    store,
    secrets,
    sender: network.sender,
    clock: systemClock,
    logger,
    policy: { brokenAfterMs: config.brokenAfterMs, leaseMs: config.deliveryLeaseMs },
  });
  worker.start();
  logger.info({ store: store.kind, pid: process.pid }, 'PipAI delivery worker running');
  exitOnSignals(logger, DRAIN_MS, async (signal) => {
    logger.info({ signal }, 'worker stopping: finishing deliveries under way');
    await worker.stop();
    await network.sender.close();
    await store.close();
    logger.info('worker stopped');
  });
}

let config: Config | undefined;
try {
  config = loadConfig();
  await main(config);
} catch (error) {
  exitCannotStart(error, config);
}
