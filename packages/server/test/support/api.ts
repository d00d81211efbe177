// A real server on loopback over a real store, and a client that signs requests the way the spec's
// Authentication section says (computed here independently of the server's code).
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { testCaPem } from '@pipai/testkit/pki';
import { signature as sign, timestamps } from '@pipai/testkit/signing';
import { pino } from 'pino';
import type { Clock } from '../../src/domain/clock.ts';
import type { WorkerPolicy } from '../../src/domain/delivery-worker.ts';
import type { CorsOrigins } from '../../src/http/cors.ts';
import { createDeliverySender } from '../../src/net/delivery-sender.ts';
import { createTargetVerifier, type TargetVerifierOptions } from '../../src/net/target-verifier.ts';
import { createServices } from '../../src/services.ts';
import { type OpenedStore, openTestStore, type StoreKind } from './stores.ts';

export const MASTER_KEY = Buffer.alloc(32, 7);
export const INTERNAL_TOKEN = 'test-internal-token';

export interface Credentials {
  account: string;
  api_key: string;
  api_secret: string;
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface SignOptions {
  timestamp?: string;
  omit?: 'X-PipAI-API-Key' | 'X-PipAI-Timestamp' | 'X-PipAI-Signature';
  /** Sign this instead of what is sent (to tamper). */
  signedBody?: string;
  signedTarget?: string;
  secret?: string;
  contentType?: string;
  signature?: string;
  /** More headers to send (an Origin). */
  headers?: Record<string, string>;
}

export { sign };

export interface TestApi {
  baseUrl: string;
  opened: OpenedStore;
  services: ReturnType<typeof createServices>;
  /** Everything the server logged, one JSON object per line. */
  logs: string[];
  issueKey(account: string, scopes?: string[]): Promise<Credentials>;
  request<T = any>(
    credentials: Credentials,
    method: string,
    target: string,
    body?: unknown,
    options?: SignOptions,
  ): Promise<ApiResponse<T>>;
  /** POST /internal/v1/events (or another internal path) with the internal token. */
  publish<T = any>(body: unknown, token?: string, path?: string): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/** Test host names resolve to loopback, where the tests' HTTPS endpoints listen. */
export const testLookup: NonNullable<TargetVerifierOptions['lookup']> = async (hostname) => {
  if (hostname.endsWith('.test')) return [{ address: '127.0.0.1', family: 4 }];
  if (hostname === 'private.example') return [{ address: '10.1.2.3', family: 4 }];
  if (hostname === 'metadata.example') return [{ address: '169.254.169.254', family: 4 }];
  if (hostname === 'mixed.example')
    return [
      { address: '93.184.216.34', family: 4 },
      { address: '192.168.1.10', family: 4 },
    ];
  throw Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' });
};

// Like the SDK: strictly increasing timestamps, since two identical requests signed in the same
// millisecond carry the same signature and the second is (rightly) rejected as a replay.
const monotonicNow = timestamps();

export async function startTestApi(
  kind: StoreKind,
  options: {
    clock?: Clock;
    weightBudgetPerMinute?: number;
    authFailuresPerMinute?: number;
    allowLoopback?: boolean;
    postgresUrl?: string;
    lookup?: TargetVerifierOptions['lookup'];
    deliveryTimeoutMs?: number;
    workerPolicy?: Partial<WorkerPolicy>;
    corsOrigins?: CorsOrigins;
  } = {},
): Promise<TestApi> {
  const opened = await openTestStore(kind, options.postgresUrl);
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _encoding, done) {
        logs.push(...chunk.toString().trim().split('\n'));
        done();
      },
    }),
  );
  const network = {
    lookup: options.lookup ?? testLookup,
    allowLoopback: options.allowLoopback ?? true,
    extraCa: [testCaPem],
  };
  const sender = createDeliverySender({ ...network, timeoutMs: options.deliveryTimeoutMs ?? 3_000 });
  const services = createServices({
    store: opened.store,
    masterKey: MASTER_KEY,
    logger,
    targets: createTargetVerifier({ ...network, timeoutMs: 3_000 }),
    sender,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.weightBudgetPerMinute ? { weightBudgetPerMinute: options.weightBudgetPerMinute } : {}),
    ...(options.authFailuresPerMinute ? { authFailuresPerMinute: options.authFailuresPerMinute } : {}),
    ...(options.workerPolicy ? { workerPolicy: options.workerPolicy } : {}),
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    internalToken: INTERNAL_TOKEN,
    validateResponses: true,
  });
  const server = services.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const now = () => (options.clock ? String(options.clock.now()) : monotonicNow());

  return {
    baseUrl,
    opened,
    services,
    logs,
    issueKey: (account, scopes = ['webhooks:read', 'webhooks:write']) => services.accounts.createKey(account, scopes),
    async request(credentials, method, target, body, signOptions = {}) {
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      const timestamp = signOptions.timestamp ?? now();
      const signature =
        signOptions.signature ??
        sign(
          signOptions.secret ?? credentials.api_secret,
          timestamp,
          method,
          signOptions.signedTarget ?? target,
          signOptions.signedBody ?? text,
        );
      const headers: Record<string, string> = {
        'X-PipAI-API-Key': credentials.api_key,
        'X-PipAI-Timestamp': timestamp,
        'X-PipAI-Signature': signature,
      };
      if (signOptions.omit) delete headers[signOptions.omit];
      if (text) headers['Content-Type'] = signOptions.contentType ?? 'application/json';
      Object.assign(headers, signOptions.headers);
      const response = await fetch(`${baseUrl}${target}`, { method, headers, ...(text ? { body: text } : {}) });
      const raw = await response.text();
      return { status: response.status, headers: response.headers, body: raw ? JSON.parse(raw) : undefined };
    },
    async publish(body, token = INTERNAL_TOKEN, path = '/internal/v1/events') {
      const response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, headers: response.headers, body: await response.json() };
    },
    async close() {
      await services.worker.stop();
      await sender.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await opened.dispose();
    },
  };
}
