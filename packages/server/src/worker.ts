// `pnpm worker`: the delivery worker alone, for deployments that scale it apart from the API.
// Any number of these can share one PostgreSQL database; SIGTERM finishes the deliveries under way.
import { pino } from 'pino';
import { resolveMasterKey } from './bootstrap.ts';
import { loadConfig } from './config.ts';
import { SecretBox } from './crypto/secret-box.ts';
import { systemClock } from './domain/clock.ts';
import { DeliveryWorker } from './domain/delivery-worker.ts';
import { createNetwork } from './network.ts';
import { openStore } from './store/open-store.ts';

const config = loadConfig();
const logger = pino({ level: config.logLevel });

async function main() {
  const store = openStore(config);
  await store.migrate();
  const network = createNetwork(config, logger);
  // Only what delivering needs: no HTTP app, no validator (a worker-only process stays small).
  const worker = new DeliveryWorker({
    store,
    secrets: new SecretBox(resolveMasterKey(config, logger)),
    sender: network.sender,
    clock: systemClock,
    logger,
    policy: { brokenAfterMs: config.brokenAfterMs, leaseMs: config.deliveryLeaseMs },
  });
  worker.start();
  logger.info({ store: store.kind, pid: process.pid }, 'PipAI delivery worker running');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'worker stopping: finishing deliveries under way');
    await worker.stop();
    await network.sender.close();
    await store.close();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: Error) => {
  logger.fatal({ err: error }, `cannot start: ${error.message}`);
  process.exit(1);
});
