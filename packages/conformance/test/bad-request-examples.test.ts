// Each operation's 400 examples are what a bad request to that operation really gets: every example
// carries the request that earns it (`x-request`); the real server must answer that request with
// exactly the example (its request_id aside), and the mock (public operations) must answer it with
// the operation's own first example, not another operation's.

import { readFileSync } from 'node:fs';
import { internalSpecPath } from '@pipai/contract/node';
import { openApi } from '@pipai/contract/openapi';
import { type EmbeddedServer, startEmbeddedServer } from '@pipai/server';
import { testCaPem } from '@pipai/testkit/pki';
import { type RunningPrism, startPrism } from '@pipai/testkit/prism';
import { signedFetcher } from '@pipai/testkit/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The internal bundle holds every operation, the public ones and PipAI's own (x-internal).
const spec = JSON.parse(readFileSync(internalSpecPath, 'utf8'));
const INTERNAL_TOKEN = 'internal-token-for-bad-requests';
interface BadRequestExample {
  operation: string;
  name: string;
  first: boolean;
  internal: boolean;
  /** Whether the operation declares anything Prism can validate (parameters or a body). */
  validatable: boolean;
  request: { method: string; target: string; body?: unknown };
  value: { request_id: string } & Record<string, unknown>;
}

const examples: BadRequestExample[] = Object.values<any>(spec.paths).flatMap((item) =>
  Object.values<any>(item).flatMap((operation) => {
    const media = operation.responses?.['400']?.content?.['application/problem+json'];
    return Object.entries<any>(media?.examples ?? {}).map(([name, example], index) => ({
      operation: operation.operationId,
      name,
      first: index === 0,
      internal: operation['x-internal'] === true,
      validatable: Boolean(operation.parameters?.length || operation.requestBody),
      request: example['x-request'],
      value: example.value,
    }));
  }),
);

let server: EmbeddedServer;
let mock: RunningPrism;
let toServer: ReturnType<typeof signedFetcher>;
let toMock: ReturnType<typeof signedFetcher>;

beforeAll(async () => {
  server = await startEmbeddedServer({
    network: { lookup: async () => [{ address: '127.0.0.1', family: 4 }], allowLoopback: true, extraCa: [testCaPem] },
    weightBudgetPerMinute: 1_000_000,
    internalToken: INTERNAL_TOKEN,
  });
  const key = await server.issueKey('bad-requests');
  toServer = signedFetcher(server.baseUrl, key);
  mock = await startPrism({ mock: true });
  toMock = signedFetcher(mock.baseUrl, key);
}, 60_000);
afterAll(async () => {
  await mock?.close();
  await server?.close();
});

const send = (fetcher: typeof toServer, { method, target, body }: BadRequestExample['request'], headers = {}) =>
  fetcher(method, target, body === undefined ? '' : JSON.stringify(body), headers);

describe("each operation's 400 examples", () => {
  it('exist for every operation, each with the request that earns it', () => {
    expect(new Set(examples.filter((e) => !e.internal).map((example) => example.operation)).size).toBe(14);
    expect(new Set(examples.filter((e) => e.internal).map((example) => example.operation)).size).toBe(2);
    for (const example of examples) expect(example.request, `${example.operation} ${example.name}`).toBeDefined();
    // Each example is its operation's own: its request, and the instance it names, are that operation's.
    const api = openApi(spec);
    for (const { operation, name, request, value } of examples) {
      const path = request.target.split('?')[0]!;
      expect(api.operationFor(request.method, path)?.operation.operationId, name).toBe(operation);
      expect(value.instance, `${operation} ${name}`).toBe(path);
    }
  });

  it.each(examples.map((example) => [`${example.operation} ${example.name}`, example] as const))(
    'the server answers %s exactly as the example says',
    async (_name, example) => {
      const { method, target, body } = example.request;
      const response = example.internal
        ? await fetch(`${server.baseUrl}${target}`, {
            method,
            headers: { Authorization: `Bearer ${INTERNAL_TOKEN}`, 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          })
        : await send(toServer, example.request);
      expect(response.status).toBe(400);
      const { request_id: _id, ...answer } = await response.json();
      const { request_id: _exampleId, ...expected } = example.value;
      expect(answer).toEqual(expected);
    },
  );

  it.each(
    examples
      .filter((example) => example.first && !example.internal)
      .map((example) => [example.operation, example] as const),
  )("the mock answers %s's bad request with that operation's first example", async (_name, example) => {
    // An operation that declares no parameters gives Prism nothing to validate: ask for its 400.
    const response = await send(toMock, example.request, example.validatable ? {} : { Prefer: 'code=400' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual(example.value);
  });
});
