// The real API server, in-process (see @pipai/server's startEmbeddedServer), with an HTTPS endpoint
// that has a valid certificate for hooks.test, for the SDK and CLI tests.
import { startEmbeddedServer } from '@pipai/server';
import { startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';

export interface TestServer {
  baseUrl: string;
  credentials: { api_key: string; api_secret: string };
  /** An HTTPS endpoint with a valid certificate for hooks.test, to register as webhooks. */
  hookUrl(path: string): string;
  close(): Promise<void>;
}

export async function startServer(
  options: { now?: () => number; weightBudgetPerMinute?: number; signatureWindowMs?: number } = {},
): Promise<TestServer> {
  const endpoint = await startHttpsEndpoint('valid', 'hooks.test');
  const server = await startEmbeddedServer({
    network: { lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowLoopback: true, extraCa: [testCaPem] },
    ...(options.now ? { clock: { now: options.now } } : {}),
    ...(options.weightBudgetPerMinute ? { weightBudgetPerMinute: options.weightBudgetPerMinute } : {}),
    ...(options.signatureWindowMs ? { signatureWindowMs: options.signatureWindowMs } : {}),
  });
  return {
    baseUrl: server.baseUrl,
    credentials: await server.issueKey('client-tests'),
    hookUrl: (path) => `https://hooks.test:${endpoint.port}/${path}`,
    async close() {
      await server.close();
      await endpoint.close();
    },
  };
}
