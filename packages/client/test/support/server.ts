// The real API server, in-process (see @pipai/server's startEmbeddedServer), with an HTTPS endpoint
// that has a valid certificate for hooks.test, for the SDK and CLI tests.
import { startEmbeddedServer } from '@pipai/server';
import { startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';

const ACCOUNT = 'client-tests';

export interface TestServer {
  baseUrl: string;
  credentials: { api_key: string; api_secret: string };
  /** An HTTPS endpoint with a valid certificate for hooks.test, to register as webhooks. */
  hookUrl(path: string): string;
  /** Publishes an event of `type` with the spec's example payload, as PipAI's services would; its id. */
  publish(type: 'strategy.deployed'): Promise<string>;
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
    credentials: await server.issueKey(ACCOUNT),
    hookUrl: (path) => `https://hooks.test:${endpoint.port}/${path}`,
    async publish(type) {
      const [event] = await server.services.events.publish(ACCOUNT, type, server.services.events.examplePayload(type));
      return event!.id;
    },
    async close() {
      await server.close();
      await endpoint.close();
    },
  };
}
