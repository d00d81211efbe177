// The targets one scenario suite runs against: the Prism mock, the real server, and the real server
// behind `prism proxy --errors`. Each gives an SDK client that records every response.
import { createPipAIClient, type PipAIClient } from '@pipai/client';
import { type EmbeddedServer, startEmbeddedServer } from '@pipai/server';
import { type HttpsEndpoint, startHttpsEndpoint, testCaPem } from '@pipai/testkit/pki';
import { type RunningPrism, startPrism } from '@pipai/testkit/prism';
import { createResponseChecker, type ResponseChecker, type ResponseProblem } from './responses.ts';

export type TargetName = 'mock' | 'server' | 'server via prism proxy';
export const TARGETS: TargetName[] = ['mock', 'server', 'server via prism proxy'];

export interface RecordedResponse {
  method: string;
  url: string;
  status: number;
  headers: Headers;
}

export interface Target {
  name: TargetName;
  /** Backed by the real server: errors are produced for real, not picked with Prefer. */
  live: boolean;
  baseUrl: string;
  /** A client with a key holding both scopes; pass `scopes` for a narrower one. */
  client(scopes?: string[]): Promise<PipAIClient>;
  /** An https URL the target accepts as a webhook. */
  hookUrl(name: string): string;
  responses: RecordedResponse[];
  /** Every recorded response checked against the spec. */
  problems: ResponseProblem[];
  close(): Promise<void>;
}

export async function startTarget(
  name: TargetName,
  options: { checker?: ResponseChecker; specFile?: string } = {},
): Promise<Target> {
  const checker = options.checker ?? createResponseChecker();
  const responses: RecordedResponse[] = [];
  const problems: ResponseProblem[] = [];
  const recordingFetch = async (request: Request) => {
    const response = await fetch(request);
    const text = await response.clone().text();
    responses.push({ method: request.method, url: request.url, status: response.status, headers: response.headers });
    const body = text ? JSON.parse(text) : undefined;
    problems.push(...checker(request.method, request.url, response.status, response.headers.get('content-type'), body));
    // Prism reports what violates the spec; the requests some scenarios break on purpose do not count.
    const violations = JSON.parse(response.headers.get('sl-violations') ?? '[]') as { location: string[] }[];
    for (const violation of violations.filter((entry) => entry.location[0] !== 'request')) {
      problems.push({ where: `${request.method} ${request.url}`, problem: `prism: ${JSON.stringify(violation)}` });
    }
    return response;
  };

  let server: EmbeddedServer | undefined;
  let endpoint: HttpsEndpoint | undefined;
  let prism: RunningPrism | undefined;
  if (name === 'mock') {
    prism = await startPrism({ mock: true }, options.specFile);
  } else {
    endpoint = await startHttpsEndpoint('valid', 'hooks.test');
    server = await startEmbeddedServer({
      network: { lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowLoopback: true, extraCa: [testCaPem] },
      weightBudgetPerMinute: 100_000,
    });
    if (name === 'server via prism proxy') prism = await startPrism({ proxy: server.baseUrl }, options.specFile);
  }
  const baseUrl = prism?.baseUrl ?? server!.baseUrl;
  let accounts = 0;
  return {
    name,
    live: server !== undefined,
    baseUrl,
    async client(scopes) {
      // The mock checks that the signing headers are there, not what they say.
      const key = server
        ? await server.issueKey(`scenarios-${++accounts}`, scopes)
        : { api_key: 'key_3030fbb9aa81b653', api_secret: 'sk_mock' };
      return createPipAIClient({ baseUrl, apiKey: key.api_key, apiSecret: key.api_secret, fetch: recordingFetch });
    },
    hookUrl: (hook) => (endpoint ? `https://hooks.test:${endpoint.port}/${hook}` : `https://example.com/${hook}`),
    responses,
    problems,
    async close() {
      await prism?.close();
      await server?.close();
      await endpoint?.close();
    },
  };
}
