// The real API server, in-process on loopback over a temp SQLite file, for the SDK and CLI tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDeliverySender, createServices, createTargetVerifier, SqliteStore } from '@pipai/server';
import { startHttpsEndpoint, testCaPem, type HttpsEndpoint } from '@pipai/testkit/pki';
import { pino } from 'pino';

export interface TestServer {
  baseUrl: string;
  credentials: { api_key: string; api_secret: string };
  /** An HTTPS endpoint with a valid certificate for hooks.test, to register as webhooks. */
  hookUrl(path: string): string;
  close(): Promise<void>;
}

export async function startServer(options: { now?: () => number; weightBudgetPerMinute?: number; signatureWindowMs?: number } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pipai-client-'));
  const store = new SqliteStore(join(dir, 'pipai.sqlite'));
  await store.migrate();
  const endpoint: HttpsEndpoint = await startHttpsEndpoint('valid', 'hooks.test');
  const network = { lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowLoopback: true, extraCa: [testCaPem] };
  const sender = createDeliverySender(network);
  const { app, accounts } = createServices({
    store,
    masterKey: randomBytes(32),
    logger: pino({ level: 'silent' }),
    targets: createTargetVerifier(network),
    sender,
    validateResponses: true,
    ...(options.now ? { clock: { now: options.now } } : {}),
    ...(options.weightBudgetPerMinute ? { weightBudgetPerMinute: options.weightBudgetPerMinute } : {}),
    ...(options.signatureWindowMs ? { signatureWindowMs: options.signatureWindowMs } : {}),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: await accounts.createKey('client-tests', ['webhooks:read', 'webhooks:write']),
    hookUrl: (path) => `https://hooks.test:${endpoint.port}/${path}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await endpoint.close();
      await sender.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
