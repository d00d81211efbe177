// The API with its delivery worker in one process, composed as `pnpm start` composes it
// (createServices, the default worker policy), for the fairness scenario. It differs from `pnpm start`
// only where the scenario needs it: a delivery timeout long enough that hanging endpoints stay hung for
// the whole measured window (the server's own is 15 s and not configurable), loopback targets, and
// the test CA. SIGTERM stops it.
// Env: PORT, DATABASE_URL or PIPAI_DATA_DIR, PIPAI_MASTER_KEY, BENCH_CA_FILE, BENCH_TIMEOUT_MS.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { createDeliverySender } from '../../../server/src/net/delivery-sender.ts';
import { createTargetVerifier } from '../../../server/src/net/target-verifier.ts';
import { createServices } from '../../../server/src/services.ts';
import { openStore } from '../../../server/src/store/store.ts';

const env = process.env;
const network = { allowLoopback: true, extraCa: [readFileSync(env.BENCH_CA_FILE!, 'utf8')] };
const store = openStore({ databaseUrl: env.DATABASE_URL, dataDir: env.PIPAI_DATA_DIR ?? '' });
await store.migrate();
const sender = createDeliverySender({ ...network, timeoutMs: Number(env.BENCH_TIMEOUT_MS ?? 15_000) });
const logger = pino({ level: 'warn' });
const { app, worker } = createServices({
  store,
  masterKey: Buffer.from(env.PIPAI_MASTER_KEY!, 'base64'),
  logger,
  targets: createTargetVerifier(network),
  sender,
  internalToken: 'bench',
  // The scenario floods redeliveries through the API; the weight budget is not what it measures.
  weightBudgetPerMinute: 1_000_000_000,
});
const server = app.listen(Number(env.PORT), '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
worker.start();

process.once('SIGTERM', async () => {
  server.closeAllConnections();
  server.close();
  await worker.stop();
  await sender.close();
  await store.close();
  process.exit(0);
});
