// The server in-process on loopback over a temp SQLite file (or a PostgreSQL database when given
// one): for the client's and the conformance tests, and for benchmarks. Callers choose the network
// trust (a test CA, loopback targets).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import type { IssuedKey } from './domain/accounts.ts';
import type { Clock } from './domain/clock.ts';
import type { CorsOrigins } from './http/cors.ts';
import { createDeliverySender, type DeliverySenderOptions } from './net/delivery-sender.ts';
import { createTargetVerifier } from './net/target-verifier.ts';
import { createServices } from './services.ts';
import { openPostgresStore, openSqliteStore } from './store/store.ts';

export interface EmbeddedServerOptions {
  network: Pick<DeliverySenderOptions, 'lookup' | 'allowLoopback' | 'extraCa'>;
  logger?: Logger;
  clock?: Clock;
  /** An empty PostgreSQL database to use instead of a temp SQLite file. */
  databaseUrl?: string;
  weightBudgetPerMinute?: number;
  authFailuresPerMinute?: number;
  signatureWindowMs?: number;
  internalToken?: string;
  /** Browser origins allowed to call; every localhost origin when left out. */
  corsOrigins?: CorsOrigins;
  validateResponses?: boolean;
}

export interface EmbeddedServer {
  baseUrl: string;
  services: ReturnType<typeof createServices>;
  issueKey(account: string, scopes?: string[]): Promise<IssuedKey>;
  close(): Promise<void>;
}

export async function startEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-embedded-'));
  const store = options.databaseUrl
    ? openPostgresStore(options.databaseUrl)
    : openSqliteStore(join(dir, 'pipai.sqlite'));
  await store.migrate();
  const sender = createDeliverySender(options.network);
  const services = createServices({
    store,
    masterKey: randomBytes(32),
    logger: options.logger ?? pino({ level: 'silent' }),
    targets: createTargetVerifier(options.network),
    sender,
    validateResponses: options.validateResponses ?? true,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.weightBudgetPerMinute ? { weightBudgetPerMinute: options.weightBudgetPerMinute } : {}),
    ...(options.authFailuresPerMinute ? { authFailuresPerMinute: options.authFailuresPerMinute } : {}),
    ...(options.signatureWindowMs ? { signatureWindowMs: options.signatureWindowMs } : {}),
    ...(options.internalToken ? { internalToken: options.internalToken } : {}),
    // The embedded server is for development: pages on localhost may call it, as from `pnpm start`.
    corsOrigins: options.corsOrigins ?? 'localhost',
  });
  const server = services.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    services,
    issueKey: (account, scopes = ['webhooks:read', 'webhooks:write']) => services.accounts.createKey(account, scopes),
    async close() {
      await services.worker.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sender.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
